import fc from 'fast-check';
import type { HistoryOp, OpType } from '../../../platform/experiments/experiment.contract';
import { checkReplicationHistory } from './replication-history.checker';

const MS = 1_000_000;

class History {
  readonly ops: HistoryOp[] = [];
  private t = 0;
  add(process: number | 'nemesis', type: OpType, f: string, value: unknown, advanceMs = 10): number {
    const index = this.ops.length;
    this.t += advanceMs * MS;
    this.ops.push({ index, type, process, f, value, time: this.t });
    return index;
  }
  write(
    process: number,
    key: string,
    value: string,
    outcome: Exclude<OpType, 'invoke'>,
    version?: number,
  ): [number, number] {
    return [
      this.add(process, 'invoke', 'write', { key, value }),
      this.add(process, outcome, 'write', outcome === 'ok' ? { key, value, version } : { key, value }),
    ];
  }
  read(
    process: number,
    key: string,
    seen: string | null,
    version: number,
    servedBy = 'replica1',
    afterMs = 10,
  ): [number, number] {
    return [
      this.add(process, 'invoke', 'read', { key }, afterMs),
      this.add(process, 'ok', 'read', { key, found: seen !== null, value: seen, version, served_by: servedBy }),
    ];
  }
}

const check = (h: History, strategy: string, setup: Record<string, unknown> = {}) =>
  checkReplicationHistory(h.ops, { strategy, setup });

describe('replication checker: each read strategy judged by its own promise', () => {
  it('is valid for fresh reads from the primary; info writes may be seen', () => {
    const h = new History();
    h.write(0, 'a', 'v1', 'ok', 1);
    h.read(1, 'a', 'v1', 1, 'primary');
    h.write(0, 'a', 'v2', 'info');
    h.read(1, 'a', 'v2', 2, 'primary');
    h.read(2, 'b', null, 2, 'primary');
    const v = check(h, 'primary-only');
    expect(v.anomalies).toEqual([]);
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ writes_ok: 1, writes_info: 1, reads_ok: 3, stale_reads: 0 });
  });

  it('names a stale read with the write it missed, versions and ms behind', () => {
    const h = new History();
    h.write(0, 'a', 'v1', 'ok', 1);
    const [wInv, wOk] = h.write(0, 'a', 'v2', 'ok', 2);
    const [inv, ok] = h.read(1, 'a', 'v1', 1, 'replica2', 500);
    const v = check(h, 'any-replica');
    expect(v.valid).toBe(false);
    expect(v.anomalies).toEqual([
      {
        type: 'stale-read',
        explanation: expect.stringContaining('1 version(s) and 500 ms behind'),
        ops: [wInv, wOk, inv, ok],
      },
    ]);
    expect(v.stats).toMatchObject({
      stale_reads: 1,
      max_versions_behind: 1,
      max_ms_behind: 500,
      served_by: { replica2: { reads: 1, stale: 1 } },
    });
    // The same read under monotonic-reads breaks no promise, and is still counted.
    expect(check(h, 'monotonic-reads')).toMatchObject({ valid: true, stats: { stale_reads: 1 } });
  });

  it('does not count a write acknowledged while the read ran', () => {
    const h = new History();
    h.write(0, 'a', 'v1', 'ok', 1);
    const readInv = h.add(1, 'invoke', 'read', { key: 'a' });
    h.write(0, 'a', 'v2', 'ok', 2);
    h.add(1, 'ok', 'read', { key: 'a', found: true, value: 'v1', version: 1, served_by: 'primary' });
    expect(readInv).toBe(2);
    expect(check(h, 'primary-only')).toMatchObject({ valid: true, anomalies: [] });
  });

  it('names a read-your-writes violation of the session, and not one of another session', () => {
    const h = new History();
    const [wInv, wOk] = h.write(0, 'a', 'mine', 'ok', 1);
    const [inv, ok] = h.read(0, 'a', null, 0, 'replica1');
    h.read(1, 'a', null, 0, 'replica1'); // another session: stale, not a RYW violation
    const v = check(h, 'read-your-writes');
    expect(v.valid).toBe(false);
    expect(v.anomalies).toEqual([
      { type: 'ryw-violation', explanation: expect.stringContaining('process 0 wrote a'), ops: [wInv, wOk, inv, ok] },
    ]);
    expect(v.stats).toMatchObject({ ryw_violations: 1, ryw_violations_by_session: { '0': 1 }, stale_reads: 2 });
  });

  it('names a monotonic-read violation: the session read a key back in time', () => {
    const h = new History();
    h.write(0, 'a', 'v1', 'ok', 1);
    h.write(0, 'a', 'v2', 'ok', 2);
    const [, first] = h.read(1, 'a', 'v2', 2, 'replica1');
    const [inv, ok] = h.read(1, 'a', 'v1', 1, 'replica2');
    const v = check(h, 'monotonic-reads');
    expect(v.anomalies).toEqual([
      { type: 'monotonic-violation', explanation: expect.stringContaining('back in time'), ops: [first, inv, ok] },
    ]);
    expect(v.stats).toMatchObject({ monotonic_violations: 1, monotonic_violations_by_session: { '1': 1 } });
  });

  it('names a read beyond the staleness bound (versions or ms, over every key)', () => {
    const h = new History();
    h.write(0, 'a', 'a1', 'ok', 1);
    h.write(0, 'b', 'b1', 'ok', 2);
    h.write(0, 'c', 'c1', 'ok', 3);
    h.read(1, 'a', 'a1', 2, 'replica1'); // 1 behind over the log: within 2
    const [inv, ok] = h.read(1, 'a', 'a1', 1, 'replica2', 2000); // 2 behind, 2 s old: beyond 1 s
    const v = check(h, 'bounded-staleness', { max_versions_behind: 2, max_ms_behind: 1000 });
    expect(v.anomalies.map((a) => [a.type, a.ops.slice(-2)])).toEqual([['staleness-bound-exceeded', [inv, ok]]]);
    expect(v.stats).toMatchObject({
      stale_reads: 0,
      max_global_versions_behind: 2,
      bound: { max_versions_behind: 2, max_ms_behind: 1000 },
    });
  });

  it('names impossible reads: a value never written, a value of a failed write', () => {
    const h = new History();
    const [fInv, fFail] = h.write(0, 'a', 'nope', 'fail');
    const [i1, o1] = h.read(1, 'a', 'ghost', 0, 'replica1');
    const [i2, o2] = h.read(1, 'a', 'nope', 0, 'replica1');
    const v = check(h, 'monotonic-reads');
    expect(v.anomalies).toEqual([
      { type: 'impossible-read', explanation: expect.any(String), ops: [i1, o1] },
      { type: 'impossible-read', explanation: expect.stringContaining('failed'), ops: [fInv, fFail, i2, o2] },
    ]);
  });

  it('draws the t-visibility curve: P(read sees the latest write) by ms since its ack', () => {
    const h = new History();
    h.write(0, 'a', 'v1', 'ok', 1);
    h.read(1, 'a', null, 0, 'replica2', 20); // 20 ms after: missed
    h.read(1, 'a', 'v1', 1, 'replica1', 100); // ~130 ms: saw
    h.read(2, 'a', 'v1', 1, 'replica2', 3000); // ~3.1 s: saw
    const curve = check(h, 'any-replica').stats.t_visibility as Array<{
      lt_ms: number | null;
      reads: number;
      p: number | null;
    }>;
    expect(curve.find((b) => b.lt_ms === 50)).toMatchObject({ reads: 1, p: 0 });
    expect(curve.find((b) => b.lt_ms === 250)).toMatchObject({ reads: 1, p: 1 });
    expect(curve.find((b) => b.lt_ms === 5000)).toMatchObject({ reads: 1, p: 1 });
  });

  it('is unknown when no read completed', () => {
    const h = new History();
    h.write(0, 'a', 'v1', 'ok', 1);
    h.add(1, 'invoke', 'read', { key: 'a' });
    h.add(1, 'info', 'read', { key: 'a' });
    expect(check(h, 'primary-only').valid).toBe('unknown');
  });
});

// ------------------------------------------------------------------------------------------
// Properties
// ------------------------------------------------------------------------------------------

const KEYS = ['a', 'b', 'c'];

/**
 * A primary that commits each write at one step within it (LSNs in commit order) and replicas that
 * apply the log `lag` steps late. `mode` picks who serves: the primary (fresh), or a replica held
 * monotonic per session (a replica that waits until it has what the session has read).
 */
function simulate(seed: number, nOps: number, processes: number, lags: number[], mode: 'primary' | 'monotonic') {
  let s = seed >>> 0;
  const rnd = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const h = new History();
  const log: Array<{ lsn: number; key: string; value: string; step: number }> = [];
  type Pending = {
    kind: 'write' | 'read';
    key: string;
    value?: string;
    outcome: Exclude<OpType, 'invoke'>;
    done: boolean;
    result?: unknown;
  };
  const pending = new Map<number, Pending>();
  const sessionPos = new Map<number, number>();
  const reads: number[] = [];
  let planned = 0;
  let step = 0;
  const positionAt = (lag: number) => log.filter((e) => e.step <= step - lag).reduce((m, e) => Math.max(m, e.lsn), 0);
  while (planned < nOps || pending.size > 0) {
    step++;
    const p = Math.floor(rnd() * processes);
    const open = pending.get(p);
    if (!open) {
      if (planned >= nOps) continue;
      const key = KEYS[Math.floor(rnd() * KEYS.length)];
      if (rnd() < 0.4) {
        const r = rnd();
        const value = `w${planned}`;
        pending.set(p, {
          kind: 'write',
          key,
          value,
          outcome: r < 0.85 ? 'ok' : r < 0.95 ? 'info' : 'fail',
          done: false,
        });
        h.add(p, 'invoke', 'write', { key, value }, 1);
      } else {
        pending.set(p, { kind: 'read', key, outcome: 'ok', done: false });
        h.add(p, 'invoke', 'read', { key }, 1);
      }
      planned++;
      continue;
    }
    if (!open.done && rnd() < 0.5) {
      open.done = true;
      if (open.kind === 'write' && (open.outcome === 'ok' || (open.outcome === 'info' && rnd() < 0.5))) {
        const lsn = log.length + 1;
        log.push({ lsn, key: open.key, value: open.value!, step });
        open.result = { key: open.key, value: open.value, version: lsn };
      }
      if (open.kind === 'read') {
        const replica = Math.floor(rnd() * lags.length);
        const position = mode === 'primary' ? log.length : Math.max(positionAt(lags[replica]), sessionPos.get(p) ?? 0);
        sessionPos.set(p, position);
        const latest = [...log].reverse().find((e) => e.key === open.key && e.lsn <= position);
        open.result = {
          key: open.key,
          found: !!latest,
          value: latest?.value ?? null,
          version: position,
          served_by: mode === 'primary' ? 'primary' : `replica${replica + 1}`,
        };
      }
      continue;
    }
    if (!open.done) continue;
    pending.delete(p);
    if (open.kind === 'write')
      h.add(p, open.outcome, 'write', open.outcome === 'ok' ? open.result : { key: open.key, value: open.value }, 1);
    else reads.push(h.add(p, 'ok', 'read', open.result, 1));
  }
  return { ops: h.ops, reads, log };
}

describe('replication checker properties', () => {
  const args = [fc.integer(), fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 5 })] as const;
  const lagsArb = fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 3 });

  it('a generated linearizable history is valid under primary-only', () => {
    fc.assert(
      fc.property(...args, (seed, nOps, procs) => {
        const v = checkReplicationHistory(simulate(seed, nOps, procs, [0], 'primary').ops, {
          strategy: 'primary-only',
          setup: {},
        });
        return v.valid !== false && v.anomalies.length === 0;
      }),
    );
  });

  it('a generated history of lagging replicas held monotonic is valid under monotonic-reads', () => {
    fc.assert(
      fc.property(...args, lagsArb, (seed, nOps, procs, lags) => {
        const v = checkReplicationHistory(simulate(seed, nOps, procs, lags, 'monotonic').ops, {
          strategy: 'monotonic-reads',
          setup: {},
        });
        return v.valid !== false && v.anomalies.length === 0;
      }),
    );
  });

  it('one injected stale or impossible read is invalid under primary-only and names the read', () => {
    fc.assert(
      fc.property(...args, fc.nat(), fc.constantFrom('stale', 'impossible'), (seed, nOps, procs, pick, kind) => {
        const sim = simulate(seed, nOps, procs, [0], 'primary');
        const ops = sim.ops.map((op) => ({ ...op }));
        // A read that has an older write of its key to return instead (stale), or any read (impossible).
        const candidates = sim.reads.filter((r) => {
          const v = ops[r].value as { key: string; value: string | null };
          if (kind === 'impossible') return true;
          const seenLsn = sim.log.find((e) => e.value === v.value)?.lsn ?? 0;
          return seenLsn > 0 && ackedBefore(ops, r, v.key, seenLsn);
        });
        fc.pre(candidates.length > 0);
        const target = candidates[pick % candidates.length];
        const value = ops[target].value as Record<string, unknown>;
        ops[target].value =
          kind === 'impossible'
            ? { ...value, found: true, value: 'never-written' }
            : { ...value, found: false, value: null };
        const v = checkReplicationHistory(ops, { strategy: 'primary-only', setup: {} });
        return v.valid === false && v.anomalies.length > 0 && v.anomalies.every((a) => a.ops.includes(target));
      }),
    );
  });
});

/** The write of `key` with LSN `lsn` was acknowledged before the read completing at `readCompletion` began. */
function ackedBefore(ops: HistoryOp[], readCompletion: number, key: string, lsn: number): boolean {
  let invoke = readCompletion - 1;
  while (invoke >= 0 && !(ops[invoke].process === ops[readCompletion].process && ops[invoke].type === 'invoke'))
    invoke--;
  return ops
    .slice(0, invoke)
    .some(
      (o) =>
        o.type === 'ok' &&
        o.f === 'write' &&
        (o.value as { key: string; version: number }).key === key &&
        (o.value as { version: number }).version === lsn,
    );
}
