import { Agent, request } from 'node:http';

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  /** Body per request; a function gets the request index (e.g. a different seat each time). */
  body?: unknown | ((i: number) => unknown);
  /** Closed loop: this many requests in flight at all times. */
  concurrency: number;
  /** Stop after this long, or after `requests` requests, whichever first. */
  durationMs: number;
  requests?: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  non2xx: number;
  seconds: number;
  throughput: number;
  p50_ms: number;
  p99_ms: number;
  /** CPU the load generator itself used (this process, user + system), per request. */
  client_cpu_ms_per_req: number;
}

/**
 * A small closed-loop HTTP load generator on keep-alive sockets: `concurrency` workers each send
 * the next request as soon as the previous answer arrives. Loopback only.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const target = new URL(options.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) throw new Error('bench targets loopback only');
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  let sent = 0;
  let errors = 0;
  let non2xx = 0;
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  const deadline = Date.now() + options.durationMs;
  const limit = options.requests ?? Number.POSITIVE_INFINITY;

  const once = (i: number) =>
    new Promise<void>((resolve) => {
      const body =
        options.body === undefined
          ? undefined
          : JSON.stringify(
              typeof options.body === 'function' ? (options.body as (i: number) => unknown)(i) : options.body,
            );
      const t0 = process.hrtime.bigint();
      const req = request(
        target,
        {
          method: options.method ?? (body ? 'POST' : 'GET'),
          agent,
          headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {},
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
            if ((res.statusCode ?? 0) >= 300) non2xx += 1;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors += 1;
        resolve();
      });
      req.end(body);
    });

  const worker = async () => {
    while (Date.now() < deadline && sent < limit) {
      const i = sent++;
      await once(i);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    non2xx,
    seconds,
    throughput: latencies.length / seconds,
    p50_ms: percentile(latencies, 0.5),
    p99_ms: percentile(latencies, 0.99),
    client_cpu_ms_per_req: (cpu.user + cpu.system) / 1000 / Math.max(1, latencies.length),
  };
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export interface OpenLoadOptions {
  url: string;
  /** Body of request i (the moment it is sent is passed too, e.g. to record it). */
  body: (i: number, sentAt: number) => unknown;
  /** Offered rate: requests are started on this schedule whatever the answers (an open loop). */
  ratePerS: number;
  durationMs: number;
  /** Bound on requests in flight; a request that would exceed it is counted as `skipped`, not sent. */
  maxInFlight?: number;
}

export interface OpenLoadResult {
  requests: number;
  errors: number;
  non2xx: number;
  skipped: number;
  p50_ms: number;
  p99_ms: number;
}

/**
 * An open-loop load generator: starts request i at `i / ratePerS` seconds, whether or not the
 * earlier ones were answered, so a slow server shows as latency instead of a lower offered rate.
 * Loopback only; bounded by `durationMs` and `maxInFlight`.
 */
export async function runOpenLoad(options: OpenLoadOptions): Promise<OpenLoadResult> {
  const target = new URL(options.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) throw new Error('bench targets loopback only');
  const maxInFlight = options.maxInFlight ?? 1000;
  const agent = new Agent({ keepAlive: true, maxSockets: maxInFlight });
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  let skipped = 0;
  let inFlight = 0;
  const pending: Array<Promise<void>> = [];
  const fire = (i: number) =>
    new Promise<void>((resolve) => {
      const sentAt = Date.now();
      const body = JSON.stringify(options.body(i, sentAt));
      const t0 = process.hrtime.bigint();
      inFlight += 1;
      const done = () => {
        inFlight -= 1;
        resolve();
      };
      const req = request(
        target,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
            if ((res.statusCode ?? 0) >= 300) non2xx += 1;
            done();
          });
        },
      );
      req.on('error', () => {
        errors += 1;
        done();
      });
      req.end(body);
    });
  const started = Date.now();
  const total = Math.floor((options.ratePerS * options.durationMs) / 1000);
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / options.ratePerS;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (inFlight >= maxInFlight) {
      skipped += 1;
      continue;
    }
    pending.push(fire(i));
  }
  await Promise.all(pending);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    non2xx,
    skipped,
    p50_ms: percentile(latencies, 0.5),
    p99_ms: percentile(latencies, 0.99),
  };
}
