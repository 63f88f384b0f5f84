import { nodeUrl } from '../lib/app';
import { call } from '../lib/http';
import { Measured, measured } from '../lib/stats';

export interface ReplicationResult {
  engine: string;
  writes_per_rep: number;
  configured_delays_ms: Record<string, number>;
  configured_slowest_ms: number;
  measured_window_ms: Measured;
  window_max_ms: Measured;
  /** The key figure: the median of the repetitions (window_error_ms_spread has them all). */
  window_error_ms: number;
  window_error_ms_spread: Measured;
  /**
   * Per replica, |visibility window − that replica's delay|, the window measured by the replica
   * itself (write timestamp → the moment it had the write; `replica_windows_ms` of write-and-wait),
   * so free of the client's HTTP round trips: the median over all writes of all repetitions.
   */
  replica_window_error_ms: Record<string, Measured>;
}

/** Why an engine could not be measured (postgres-streaming without its servers). */
export interface ReplicationUnavailable {
  engine: string;
  unavailable: string;
}

const PRIMARY = nodeUrl(8400, 0);
const CLIENT = nodeUrl(8400, 3);

interface WriteAndWait {
  consistency_achieved: boolean;
  consistency_time_ms?: number;
  replica_windows_ms?: Record<string, number | null>;
}

/**
 * The consistency window the client node measures (POST /write-and-wait: write to the primary,
 * long-poll every replica until it has the version) against the slowest configured replication
 * delay, over `writes` sequential writes per repetition. `delays` (optional) are set first and the
 * previous delays restored afterwards.
 */
export async function benchReplication(opts: {
  reps: number;
  writes: number;
  delays?: Record<string, number>;
  /** app-log (default) or postgres-streaming; the engine in force before is restored afterwards. */
  engine?: string;
}): Promise<ReplicationResult | ReplicationUnavailable> {
  const engine = opts.engine ?? 'app-log';
  const previousEngine = (await call<{ engine: string }>('GET', `${PRIMARY}/admin/replication-engine`)).engine;
  const selected = await fetch(`${PRIMARY}/admin/replication-engine`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ engine }),
    signal: AbortSignal.timeout(15_000),
  });
  if (!selected.ok)
    return {
      engine,
      unavailable: `HTTP ${selected.status}: ${((await selected.json()) as { message?: string }).message ?? ''}`,
    };
  try {
    return await measureWindows(engine, opts);
  } finally {
    await call('POST', `${PRIMARY}/admin/replication-engine`, { engine: previousEngine }).catch(() => undefined);
  }
}

async function measureWindows(
  engine: string,
  opts: { reps: number; writes: number; delays?: Record<string, number> },
): Promise<ReplicationResult> {
  type Delays = { by_replica: Record<string, number>; delays: Record<string, number> };
  const before = await call<Delays>('GET', `${PRIMARY}/admin/replication-delays`);
  if (opts.delays) {
    const bySeedUrl: Record<string, number> = {};
    for (const [url, replica] of Object.entries(seedUrlsByReplica(before))) {
      if (opts.delays[replica] !== undefined) bySeedUrl[url] = opts.delays[replica];
    }
    await call('POST', `${PRIMARY}/admin/replication-delays`, { delays: bySeedUrl });
  }
  const configured = (await call<Delays>('GET', `${PRIMARY}/admin/replication-delays`)).by_replica;
  const slowest = Math.max(...Object.values(configured));
  const windows: number[] = [];
  const maxes: number[] = [];
  const errors: number[] = [];
  const replicaErrors: Record<string, number[]> = {};
  try {
    for (let rep = 0; rep < opts.reps; rep++) {
      const repWindows: number[] = [];
      for (let i = 0; i < opts.writes; i++) {
        const r = await call<WriteAndWait>(
          'POST',
          `${CLIENT}/write-and-wait?timeout_ms=${slowest + 10000}`,
          { key: `bench-${rep}-${i}`, value: `v${i}` },
          slowest + 20000,
        );
        if (!r.consistency_achieved || r.consistency_time_ms === undefined)
          throw new Error(`replication: write ${i} did not reach every replica`);
        repWindows.push(r.consistency_time_ms);
        for (const [host, w] of Object.entries(r.replica_windows_ms ?? {})) {
          const replica = host.includes('replica1') ? 'replica1' : 'replica2';
          if (w !== null) (replicaErrors[replica] ??= []).push(Math.abs(w - configured[replica]));
        }
      }
      const m = measured(repWindows);
      windows.push(m.median);
      maxes.push(m.max);
      errors.push(measured(repWindows.map((w) => Math.abs(w - slowest))).median);
    }
  } finally {
    if (opts.delays)
      await call('POST', `${PRIMARY}/admin/replication-delays`, { delays: before.delays }).catch(() => undefined);
  }
  return {
    engine,
    writes_per_rep: opts.writes,
    configured_delays_ms: configured,
    configured_slowest_ms: slowest,
    measured_window_ms: measured(windows),
    window_max_ms: measured(maxes),
    window_error_ms: measured(errors).median,
    window_error_ms_spread: measured(errors),
    replica_window_error_ms: Object.fromEntries(Object.entries(replicaErrors).map(([r, e]) => [r, measured(e)])),
  };
}

/** Pairs the seed URLs of /admin/replication-delays (http://lab14-replicaN:800N) with replica names. */
function seedUrlsByReplica(d: { delays: Record<string, number> }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const url of Object.keys(d.delays)) out[url] = url.includes('replica1') ? 'replica1' : 'replica2';
  return out;
}
