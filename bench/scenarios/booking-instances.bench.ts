import { loadavg } from 'node:os';
import { join } from 'node:path';
import { cpuMsOf, RunningApp, startLabsApp } from '../lib/app';
import { call } from '../lib/http';
import { runLoad } from '../lib/load';
import { Measured, measured } from '../lib/stats';
import { book, pgbench, SEATS } from './booking.bench';

/** app_cpu: the supervisor and its processes together; supervisor_cpu: its share (for 2x, the balancer's proxying). */
type Figures = Record<
  'throughput' | 'p50_ms' | 'p99_ms' | 'app_cpu_ms_per_req' | 'supervisor_cpu_ms_per_req',
  Measured
>;

export interface BookingInstancesResult {
  concurrency: number;
  race_window_ms: number;
  /** Booking pessimistic, spread load, under the supervisor with 1 and 2 booking processes. */
  instances: Record<'1x' | '2x', Figures>;
  pgbench: Omit<Figures, 'app_cpu_ms_per_req' | 'supervisor_cpu_ms_per_req'>;
  /** Medians of the per-repetition ratios (the _spread fields have them all). */
  pessimistic_1x_vs_pgbench: number;
  pessimistic_2x_vs_pgbench: number;
  pessimistic_2x_vs_1x: number;
  pessimistic_1x_vs_pgbench_spread: Measured;
  pessimistic_2x_vs_pgbench_spread: Measured;
  pessimistic_2x_vs_1x_spread: Measured;
  load_average: number[];
}

/**
 * Two process-mode apps side by side (LAB_PROCESSES=1 LABS=booking): one with a single booking
 * process, which holds the booking port itself, and one with LAB_INSTANCES=booking=2, whose port is
 * the supervisor's round-robin balancer in front of two processes. Each has its own main port and
 * port shift; both use labs_bench and the bench's Redis db, so the strategy (pessimistic) and the
 * race window (0 ms) reach all three processes at once. Per repetition: 1x, 2x, then pgbench running
 * the same statements (PGBENCH_SCRIPT in booking.bench.ts) at the same concurrency, spread load
 * (request i books seat i mod 100), the event reset before each run. The children run through
 * ts-node as the LABS=all app does (NODE_OPTIONS carries the hook to every process the supervisor starts).
 */
export async function benchBookingInstances(opts: {
  reps: number;
  durationMs: number;
  concurrency: number;
}): Promise<BookingInstancesResult> {
  const layouts = [
    { key: '1x', instances: 1, port: '3197', shift: 30600 },
    { key: '2x', instances: 2, port: '3198', shift: 30700 },
  ] as const;
  const apps: RunningApp[] = [];
  const raw: Record<string, Array<Record<string, number>>> = {};
  const push = (key: string, r: Record<string, number>) => (raw[key] ??= []).push(r);
  const ratios = { '1x': [] as number[], '2x': [] as number[], '2x_vs_1x': [] as number[] };
  const base = (shift: number) => `http://127.0.0.1:${8000 + shift}`;
  const loadAverage: number[] = [];
  try {
    for (const layout of layouts) {
      apps.push(
        await startLabsApp({
          cwd: join(__dirname, '..', '..'),
          labs: 1,
          logName: `labs-bench-booking-${layout.key}.log`,
          env: {
            LABS: 'booking',
            LAB_PROCESSES: '1',
            LAB_INSTANCES: `booking=${layout.instances}`,
            PORT: layout.port,
            NODE_PORTS_SHIFT: String(layout.shift),
            NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} -r ts-node/register/transpile-only`.trim(),
          },
        }),
      );
    }
    const first = base(layouts[0].shift);
    await call('POST', `${first}/admin/settings`, { race_window_ms: 0 });
    await call('POST', `${first}/admin/strategy`, { strategy: 'pessimistic' });
    const reset = () => call('POST', `${first}/admin/reset?event_id=1`);
    // Warm-up: every process of both apps compiles and fills its pool (round robin reaches both instances).
    for (const layout of layouts) {
      await reset();
      await runLoad({
        url: `${base(layout.shift)}/book`,
        body: (i: number) => book(SEATS[i % 100], i),
        concurrency: opts.concurrency,
        durationMs: 1000,
      });
    }
    loadAverage.push(...loadavg());
    for (let rep = 0; rep < opts.reps; rep++) {
      const throughput: Record<string, number> = {};
      for (const layout of layouts) {
        await reset();
        const pids = await processPids(layout.port);
        const cpuBefore = sumCpu(pids);
        const supervisorBefore = cpuMsOf(pids[0]);
        const r = await runLoad({
          url: `${base(layout.shift)}/book`,
          body: (n: number) => book(SEATS[n % 100], n),
          concurrency: opts.concurrency,
          durationMs: opts.durationMs,
        });
        if (r.errors || r.non2xx) throw new Error(`booking ${layout.key}: ${r.errors} errors, ${r.non2xx} non-2xx`);
        push(layout.key, {
          throughput: r.throughput,
          p50_ms: r.p50_ms,
          p99_ms: r.p99_ms,
          app_cpu_ms_per_req: (sumCpu(pids) - cpuBefore) / Math.max(1, r.requests),
          supervisor_cpu_ms_per_req: (cpuMsOf(pids[0]) - supervisorBefore) / Math.max(1, r.requests),
        });
        throughput[layout.key] = r.throughput;
      }
      await reset();
      const pg = await pgbench(opts.concurrency, opts.durationMs);
      push('pgbench', pg);
      ratios['1x'].push(throughput['1x'] / pg.throughput);
      ratios['2x'].push(throughput['2x'] / pg.throughput);
      ratios['2x_vs_1x'].push(throughput['2x'] / throughput['1x']);
    }
  } finally {
    const first = base(layouts[0].shift);
    if (apps.length > 0) {
      await call('POST', `${first}/admin/reset?event_id=1`).catch(() => undefined);
      await call('DELETE', `${first}/admin/settings`).catch(() => undefined);
      await call('POST', `${first}/admin/strategy`, { strategy: 'none' }).catch(() => undefined);
    }
    await Promise.all(apps.map((app) => app.stop()));
  }
  const figures = (key: string) => ({
    throughput: measured(raw[key].map((r) => r.throughput)),
    p50_ms: measured(raw[key].map((r) => r.p50_ms)),
    p99_ms: measured(raw[key].map((r) => r.p99_ms)),
  });
  const appFigures = (key: string): Figures => ({
    ...figures(key),
    app_cpu_ms_per_req: measured(raw[key].map((r) => r.app_cpu_ms_per_req)),
    supervisor_cpu_ms_per_req: measured(raw[key].map((r) => r.supervisor_cpu_ms_per_req)),
  });
  return {
    concurrency: opts.concurrency,
    race_window_ms: 0,
    instances: { '1x': appFigures('1x'), '2x': appFigures('2x') },
    pgbench: figures('pgbench'),
    pessimistic_1x_vs_pgbench: measured(ratios['1x']).median,
    pessimistic_2x_vs_pgbench: measured(ratios['2x']).median,
    pessimistic_2x_vs_1x: measured(ratios['2x_vs_1x']).median,
    pessimistic_1x_vs_pgbench_spread: measured(ratios['1x']),
    pessimistic_2x_vs_pgbench_spread: measured(ratios['2x']),
    pessimistic_2x_vs_1x_spread: measured(ratios['2x_vs_1x']),
    load_average: loadAverage.map((l) => +l.toFixed(2)),
  };
}

/** The supervisor's pid and its processes' (GET /admin/processes on its main port). */
async function processPids(port: string): Promise<number[]> {
  const view = await call<{ pid: number; processes: Array<{ pid?: number }> }>(
    'GET',
    `http://127.0.0.1:${port}/admin/processes`,
  );
  return [view.pid, ...view.processes.map((p) => p.pid).filter((pid): pid is number => typeof pid === 'number')];
}

const sumCpu = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
