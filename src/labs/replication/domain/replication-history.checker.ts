import type { Anomaly, CheckContext, HistoryOp, Verdict } from '../../../platform/experiments/experiment.contract';

/**
 * The replication lab's checker: what each read saw against the writes acknowledged before it
 * began, per key and per session (a session = one logical client process), judged by the promise
 * of the read strategy that served it. Pure: no I/O; O(n log n).
 *
 * History shape:
 * - `write` — invoke `{key, value}` (values are unique in a run); ok value `{version}` = its LSN.
 * - `read` — invoke `{key}`; ok value `{found, value, version, served_by}`: the value it returned
 *   and the LSN position of the node that served it.
 *
 * Per read: the write it saw is the one whose value it returned (LSN 0 when not found). It is
 * **stale** by the ok writes to its key acknowledged before it began with a newer LSN (versions
 * behind), and by the time since the oldest of them was acknowledged (ms behind). Against the
 * whole log (every key) the same two figures, measured from the node's position, are what a
 * staleness bound promises. A **read-your-writes** violation: the session's own ok write to the
 * key, acknowledged before the read began, is missing. A **monotonic** violation: the read is
 * older than what the session already read of that key. An **impossible read** returns a value
 * that no write invoked before the read completed could have produced.
 */
export const READ_ANOMALY = {
  stale: 'stale-read',
  ryw: 'ryw-violation',
  monotonic: 'monotonic-violation',
  bound: 'staleness-bound-exceeded',
  impossible: 'impossible-read',
} as const;

export type ReadPromise = 'fresh' | 'ryw' | 'monotonic' | 'bounded';

/** Each read strategy's own promise. any-replica promises nothing, so it is held to what a user expects of one database. */
export const READ_PROMISES: Record<string, ReadPromise[]> = {
  'primary-only': ['fresh', 'ryw', 'monotonic'],
  'any-replica': ['fresh', 'ryw', 'monotonic'],
  'read-your-writes': ['ryw', 'monotonic'],
  'monotonic-reads': ['monotonic'],
  'bounded-staleness': ['bounded', 'monotonic'],
};

export interface ReadCheckSetup {
  max_versions_behind?: number;
  max_ms_behind?: number;
  /** Overrides the strategy's promise (e.g. to judge a strategy by another's). */
  promise?: ReadPromise[];
}

/** Upper edges (ms since the write was acknowledged) of the t-visibility buckets; the last is open. */
export const VISIBILITY_BUCKETS_MS = [50, 100, 250, 500, 1000, 2000, 5000, Number.POSITIVE_INFINITY];

interface WriteRec {
  key: string;
  process: number | string;
  invoke: number;
  completion: number;
  outcome: 'ok' | 'fail' | 'info';
  lsn: number;
  ackTime: number;
}

/** Fenwick tree: counts over ranks, and the earliest-acknowledged entry (min time) over reversed ranks. */
class RankTree {
  private readonly count: Int32Array;
  private readonly minIdx: Int32Array;
  private total = 0;
  constructor(
    private readonly size: number,
    private readonly timeOf: (idx: number) => number,
  ) {
    this.count = new Int32Array(size + 1);
    this.minIdx = new Int32Array(size + 1).fill(-1);
  }
  /** rank: 1..size (ascending LSN). */
  add(rank: number, entry: number): void {
    this.total++;
    for (let i = rank; i <= this.size; i += i & -i) this.count[i]++;
    const t = this.timeOf(entry);
    for (let i = this.size - rank + 1; i <= this.size; i += i & -i) {
      const cur = this.minIdx[i];
      if (cur < 0 || this.timeOf(cur) > t) this.minIdx[i] = entry;
    }
  }
  /** How many added entries have rank > r, and the earliest of them (-1 if none). */
  above(r: number): { n: number; earliest: number } {
    let atOrBelow = 0;
    for (let i = Math.min(r, this.size); i > 0; i -= i & -i) atOrBelow += this.count[i];
    let earliest = -1;
    for (let i = this.size - r; i > 0; i -= i & -i) {
      const cur = this.minIdx[i];
      if (cur >= 0 && (earliest < 0 || this.timeOf(cur) < this.timeOf(earliest))) earliest = cur;
    }
    return { n: this.total - atOrBelow, earliest };
  }
}

/** Number of values in the sorted array that are <= x. */
function rankOf(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface PendingRead {
  key: string;
  process: number | string;
  /** At the invoke: the session's newest own ok write to the key, the newest ok write to the key, what the session had read. */
  ownWrite: number;
  latestWrite: number;
  prevSeen: number;
  prevRead: number;
  /** How many writes had been acknowledged when the read began (position in `acked`). */
  ackPos: number;
}

export function checkReplicationHistory(
  history: readonly HistoryOp[],
  context: Pick<CheckContext, 'strategy' | 'setup'>,
): Verdict {
  const setup = (context.setup ?? {}) as ReadCheckSetup;
  const promise = new Set(setup.promise ?? READ_PROMISES[context.strategy] ?? READ_PROMISES['primary-only']);
  const maxVersions = setup.max_versions_behind ?? Number.POSITIVE_INFINITY;
  const maxMs = setup.max_ms_behind ?? Number.POSITIVE_INFINITY;
  const n = history.length;

  // Pass 1: pair ops; collect writes with their LSN and acknowledgement time.
  const invokeOf = new Int32Array(n).fill(-1);
  const open = new Map<number | string, number>();
  for (let i = 0; i < n; i++) {
    const op = history[i];
    if (op.process === 'nemesis') continue;
    if (op.type === 'invoke') open.set(op.process, i);
    else {
      const inv = open.get(op.process);
      if (inv !== undefined) {
        invokeOf[i] = inv;
        open.delete(op.process);
      }
    }
  }
  const writes: WriteRec[] = [];
  const writeAt = new Map<number, number>(); // completion index -> writes[]
  const writeByValue = new Map<string, WriteRec>();
  const pendingWrites = new Map<number, WriteRec>(); // invoke index -> record (info when never completed)
  for (let i = 0; i < n; i++) {
    const op = history[i];
    if (op.process === 'nemesis' || op.f !== 'write') continue;
    if (op.type === 'invoke') {
      const { key, value } = writeArgs(op.value);
      const rec: WriteRec = {
        key,
        process: op.process,
        invoke: i,
        completion: -1,
        outcome: 'info',
        lsn: -1,
        ackTime: op.time,
      };
      pendingWrites.set(i, rec);
      writeByValue.set(valueKey(value), rec);
      continue;
    }
    const inv = invokeOf[i];
    const rec = inv >= 0 ? pendingWrites.get(inv) : undefined;
    if (!rec) continue;
    rec.completion = i;
    rec.outcome = op.type as WriteRec['outcome'];
    if (op.type === 'ok') {
      const lsn = versionOf(op.value);
      rec.lsn = lsn ?? -1;
      rec.ackTime = op.time;
      if (lsn !== undefined) {
        writeAt.set(i, writes.length);
        writes.push(rec);
      }
    }
  }

  // Rank structures: global (every key) and per key, over ascending LSN.
  const globalSorted = Float64Array.from(writes.map((w) => w.lsn)).sort();
  const perKeyLsns = new Map<string, number[]>();
  for (const w of writes) {
    let list = perKeyLsns.get(w.key);
    if (!list) perKeyLsns.set(w.key, (list = []));
    list.push(w.lsn);
  }
  const perKeySorted = new Map<string, Float64Array>();
  for (const [k, list] of perKeyLsns) perKeySorted.set(k, Float64Array.from(list).sort());
  const timeOf = (w: number) => writes[w].ackTime;
  const globalTree = new RankTree(globalSorted.length, timeOf);
  const keyTrees = new Map<string, RankTree>();
  for (const [k, sorted] of perKeySorted) keyTrees.set(k, new RankTree(sorted.length, timeOf));

  const acked: number[] = []; // write idx, in acknowledgement order
  const latestByKey = new Map<string, number>(); // write idx with the highest LSN acknowledged so far
  const ownLatest = new Map<string, number>(); // `${process}\0${key}` -> write idx
  const seenBySession = new Map<string, { lsn: number; read: number }>();
  const pendingReads = new Map<number, PendingRead>();
  const anomalies: Anomaly[] = [];
  const stats = {
    writes: 0,
    writes_ok: 0,
    writes_fail: 0,
    writes_info: 0,
    reads: 0,
    reads_ok: 0,
    reads_unknown: 0,
    stale_reads: 0,
    ryw_violations: 0,
    monotonic_violations: 0,
    bound_exceeded: 0,
    impossible_reads: 0,
    max_versions_behind: 0,
    max_ms_behind: 0,
    mean_ms_behind_of_stale: 0,
    max_global_versions_behind: 0,
    max_global_ms_behind: 0,
  };
  const served: Record<string, { reads: number; stale: number }> = {};
  const rywBySession: Record<string, number> = {};
  const monotonicBySession: Record<string, number> = {};
  const vis = VISIBILITY_BUCKETS_MS.map(() => ({ reads: 0, saw: 0 }));
  let staleMsSum = 0;
  const ms = (ns: number) => Math.round(ns / 1e5) / 10;

  for (let i = 0; i < n; i++) {
    const op = history[i];
    if (op.process === 'nemesis') continue;
    if (op.f === 'write') {
      if (op.type === 'invoke') {
        stats.writes++;
        continue;
      }
      if (op.type === 'fail') stats.writes_fail++;
      else if (op.type === 'info') stats.writes_info++;
      const w = writeAt.get(i);
      if (w === undefined) continue;
      stats.writes_ok++;
      const rec = writes[w];
      acked.push(w);
      globalTree.add(rankOf(globalSorted, rec.lsn), w);
      keyTrees.get(rec.key)!.add(rankOf(perKeySorted.get(rec.key)!, rec.lsn), w);
      const latest = latestByKey.get(rec.key);
      if (latest === undefined || writes[latest].lsn < rec.lsn) latestByKey.set(rec.key, w);
      const own = `${String(rec.process)}\u0000${rec.key}`;
      const mine = ownLatest.get(own);
      if (mine === undefined || writes[mine].lsn < rec.lsn) ownLatest.set(own, w);
      continue;
    }
    if (op.f !== 'read') continue;
    if (op.type === 'invoke') {
      stats.reads++;
      const key = keyOf(op.value);
      const session = `${String(op.process)}\u0000${key}`;
      const prev = seenBySession.get(session);
      pendingReads.set(i, {
        key,
        process: op.process,
        ownWrite: ownLatest.get(session) ?? -1,
        latestWrite: latestByKey.get(key) ?? -1,
        prevSeen: prev?.lsn ?? -1,
        prevRead: prev?.read ?? -1,
        ackPos: acked.length,
      });
      continue;
    }
    const inv = invokeOf[i];
    const read = inv >= 0 ? pendingReads.get(inv) : undefined;
    if (!read) continue;
    pendingReads.delete(inv);
    const r = readResult(op.value);
    if (op.type !== 'ok' || !r) {
      stats.reads_unknown++;
      continue;
    }
    stats.reads_ok++;
    const node = r.served_by ?? op.node ?? 'unknown';
    const perNode = (served[node] ??= { reads: 0, stale: 0 });
    perNode.reads++;

    // Which write did it see?
    let seen: number;
    if (!r.found) seen = 0;
    else {
      const w = writeByValue.get(valueKey(r.value));
      if (!w || w.key !== read.key || w.invoke > i) {
        stats.impossible_reads++;
        anomalies.push({
          type: READ_ANOMALY.impossible,
          explanation: `read of ${read.key} (op ${i}) returned ${JSON.stringify(r.value)}, which no write of that key invoked before it completed produced`,
          ops: w ? [w.invoke, inv, i] : [inv, i],
        });
        continue;
      }
      if (w.outcome === 'fail') {
        stats.impossible_reads++;
        anomalies.push({
          type: READ_ANOMALY.impossible,
          explanation: `read of ${read.key} (op ${i}) returned the value of a write that failed (op ${w.completion})`,
          ops: [w.invoke, w.completion, inv, i],
        });
        continue;
      }
      // An unacknowledged write's LSN is unknown: it is at most the node's position.
      seen = w.lsn >= 0 ? w.lsn : (r.version ?? 0);
    }

    // Stale by the writes to its key acknowledged before it began: the trees hold every write
    // acknowledged up to the read's completion, so those acknowledged while it ran are taken off.
    const during = (key: string | undefined, lsn: number) => {
      let d = 0;
      for (let j = read.ackPos; j < acked.length; j++) {
        const w = writes[acked[j]];
        if (w.lsn > lsn && (key === undefined || w.key === key)) d++;
      }
      return d;
    };
    const keyTree = keyTrees.get(read.key);
    const keySorted = perKeySorted.get(read.key);
    const invokeTime = history[inv].time;
    let behind = 0;
    let behindMs = 0;
    let oldestMissed = -1;
    if (keyTree && keySorted) {
      const q = keyTree.above(rankOf(keySorted, seen));
      behind = q.n;
      oldestMissed = q.earliest;
      // Writes acknowledged after the read began are not the read's to see.
      if (behind > 0) behind -= during(read.key, seen);
      if (behind > 0 && oldestMissed >= 0 && writes[oldestMissed].ackTime <= invokeTime)
        behindMs = ms(invokeTime - writes[oldestMissed].ackTime);
      else if (behind > 0) behindMs = 0;
    }
    if (behind > 0) {
      stats.stale_reads++;
      perNode.stale++;
      staleMsSum += behindMs;
      stats.max_versions_behind = Math.max(stats.max_versions_behind, behind);
      stats.max_ms_behind = Math.max(stats.max_ms_behind, behindMs);
      if (promise.has('fresh')) {
        const missed = read.latestWrite >= 0 ? writes[read.latestWrite] : undefined;
        anomalies.push({
          type: READ_ANOMALY.stale,
          explanation:
            `read of ${read.key} at ${node} (op ${i}) is ${behind} version(s) and ${behindMs} ms behind` +
            (missed ? `: it missed the write of LSN ${missed.lsn} acknowledged at op ${missed.completion}` : ''),
          ops: missed ? [missed.invoke, missed.completion, inv, i] : [inv, i],
        });
      }
    }

    // Against the whole log, from the node's position (what a staleness bound promises).
    const position = r.version ?? seen;
    const g = globalTree.above(rankOf(globalSorted, position));
    let gBehind = g.n;
    if (gBehind > 0) gBehind -= during(undefined, position);
    const gMs =
      gBehind > 0 && g.earliest >= 0 && writes[g.earliest].ackTime <= invokeTime
        ? ms(invokeTime - writes[g.earliest].ackTime)
        : 0;
    stats.max_global_versions_behind = Math.max(stats.max_global_versions_behind, gBehind);
    stats.max_global_ms_behind = Math.max(stats.max_global_ms_behind, gMs);
    if (promise.has('bounded') && (gBehind > maxVersions || gMs > maxMs)) {
      stats.bound_exceeded++;
      const oldest = g.earliest >= 0 ? writes[g.earliest] : undefined;
      anomalies.push({
        type: READ_ANOMALY.bound,
        explanation: `read of ${read.key} at ${node} (op ${i}) was ${gBehind} version(s) / ${gMs} ms behind, beyond the bound of ${maxVersions} / ${maxMs} ms`,
        ops: oldest ? [oldest.completion, inv, i] : [inv, i],
      });
    }

    // The session's own write.
    if (read.ownWrite >= 0 && writes[read.ownWrite].lsn > seen) {
      const own = writes[read.ownWrite];
      stats.ryw_violations++;
      rywBySession[String(read.process)] = (rywBySession[String(read.process)] ?? 0) + 1;
      if (promise.has('ryw')) {
        anomalies.push({
          type: READ_ANOMALY.ryw,
          explanation: `process ${String(read.process)} wrote ${read.key} (LSN ${own.lsn}, op ${own.completion}) and then read an older version (LSN ${seen}, op ${i}) at ${node}`,
          ops: [own.invoke, own.completion, inv, i],
        });
      }
    }

    // Monotonic reads within the session.
    if (read.prevSeen > seen) {
      stats.monotonic_violations++;
      monotonicBySession[String(read.process)] = (monotonicBySession[String(read.process)] ?? 0) + 1;
      if (promise.has('monotonic')) {
        anomalies.push({
          type: READ_ANOMALY.monotonic,
          explanation: `process ${String(read.process)} read ${read.key} at LSN ${read.prevSeen} (op ${read.prevRead}), then at LSN ${seen} (op ${i}) from ${node}: back in time`,
          ops: [read.prevRead, inv, i],
        });
      }
    }
    const session = `${String(read.process)}\u0000${read.key}`;
    const prev = seenBySession.get(session);
    if (!prev || prev.lsn < seen) seenBySession.set(session, { lsn: seen, read: i });

    // t-visibility (PBS): did it see the newest write of its key acknowledged before it began?
    if (read.latestWrite >= 0) {
      const latest = writes[read.latestWrite];
      const t = (invokeTime - latest.ackTime) / 1e6;
      let b = 0;
      while (t >= VISIBILITY_BUCKETS_MS[b]) b++;
      vis[b].reads++;
      if (seen >= latest.lsn) vis[b].saw++;
    }
  }

  stats.mean_ms_behind_of_stale = stats.stale_reads > 0 ? Math.round((staleMsSum / stats.stale_reads) * 10) / 10 : 0;
  const valid = anomalies.length > 0 ? false : stats.reads_ok === 0 ? 'unknown' : true;
  return {
    valid,
    anomalies,
    stats: {
      ...stats,
      promise: [...promise],
      bound: promise.has('bounded') ? { max_versions_behind: maxVersions, max_ms_behind: maxMs } : null,
      served_by: served,
      ryw_violations_by_session: rywBySession,
      monotonic_violations_by_session: monotonicBySession,
      t_visibility: vis.map((v, b) => ({
        lt_ms: Number.isFinite(VISIBILITY_BUCKETS_MS[b]) ? VISIBILITY_BUCKETS_MS[b] : null,
        reads: v.reads,
        saw: v.saw,
        p: v.reads > 0 ? Math.round((v.saw / v.reads) * 1000) / 1000 : null,
      })),
    },
  };
}

function writeArgs(value: unknown): { key: string; value: unknown } {
  const v = value as { key?: unknown; value?: unknown } | null;
  return { key: typeof v?.key === 'string' ? v.key : '', value: v?.value };
}

function keyOf(value: unknown): string {
  const k = (value as { key?: unknown } | null)?.key;
  return typeof k === 'string' ? k : '';
}

function versionOf(value: unknown): number | undefined {
  const v = (value as { version?: unknown } | null)?.version;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function valueKey(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

interface ReadResult {
  found: boolean;
  value: unknown;
  version?: number;
  served_by?: string;
}

function readResult(value: unknown): ReadResult | undefined {
  const v = value as Partial<ReadResult> | null;
  if (!v || typeof v !== 'object' || typeof v.found !== 'boolean') return undefined;
  return {
    found: v.found,
    value: v.value,
    version: typeof v.version === 'number' ? v.version : undefined,
    served_by: typeof v.served_by === 'string' ? v.served_by : undefined,
  };
}
