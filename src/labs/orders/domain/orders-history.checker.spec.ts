import fc from 'fast-check';
import type { HistoryOp, OpType } from '../../../platform/experiments/experiment.contract';
import { checkOrdersHistory } from './orders-history.checker';

/** Appends ops with dense indices and increasing times, like the recorder does. */
class History {
  readonly ops: HistoryOp[] = [];
  add(process: number | 'nemesis', type: OpType, f: string, value: unknown, error?: string): number {
    const index = this.ops.length;
    this.ops.push({ index, type, process, f, value, time: index * 1_000_000, ...(error ? { error } : {}) });
    return index;
  }
  send(process: number, orderId: string, outcome: Exclude<OpType, 'invoke'>): [number, number] {
    return [
      this.add(process, 'invoke', 'send', { order_id: orderId }),
      this.add(process, outcome, 'send', { order_id: orderId }),
    ];
  }
  read(applied: Record<string, number>, drained = true): number {
    this.add(0, 'invoke', 'read', null);
    return this.add(0, 'ok', 'read', { applied, drained });
  }
}

describe('orders checker: every acknowledged order applied exactly once', () => {
  it('is valid when every ok order is applied once, info ones either way, failed ones not at all', () => {
    const h = new History();
    h.send(0, 'a', 'ok');
    h.send(1, 'b', 'info');
    h.send(2, 'c', 'info');
    h.send(0, 'd', 'fail');
    h.add('nemesis', 'invoke', 'start', { fault: 'crash-consumer' });
    h.read({ a: 1, b: 1 });
    const verdict = checkOrdersHistory(h.ops);
    expect(verdict.valid).toBe(true);
    expect(verdict.anomalies).toEqual([]);
    expect(verdict.stats).toMatchObject({
      ok: 1,
      info: 2,
      fail: 1,
      applied_once: 1,
      info_applied: 1,
      info_absent: 1,
      semantics_observed: 'exactly-once',
    });
  });

  it('names a lost order: acknowledged and absent (at-most-once)', () => {
    const h = new History();
    const [inv, ok] = h.send(0, 'a', 'ok');
    h.send(1, 'b', 'info');
    h.send(1, 'c', 'ok');
    const read = h.read({ c: 1 });
    const verdict = checkOrdersHistory(h.ops);
    expect(verdict.valid).toBe(false);
    expect(verdict.anomalies).toEqual([
      { type: 'lost', explanation: expect.stringContaining('order a'), ops: [inv, ok, read] },
    ]);
    expect(verdict.stats).toMatchObject({ lost: 1, duplicated: 0, semantics_observed: 'at-most-once' });
  });

  it('names a duplicate, acknowledged or not (at-least-once)', () => {
    const h = new History();
    const [, okA] = h.send(0, 'a', 'ok');
    const [, infoB] = h.send(1, 'b', 'info');
    h.read({ a: 2, b: 3 });
    const verdict = checkOrdersHistory(h.ops);
    expect(verdict.valid).toBe(false);
    expect(verdict.anomalies.map((a) => [a.type, a.ops[1]])).toEqual([
      ['duplicate', okA],
      ['duplicate', infoB],
    ]);
    expect(verdict.anomalies[0].explanation).toMatch(/applied 2 times/);
    expect(verdict.stats).toMatchObject({ duplicated: 2, semantics_observed: 'at-least-once' });
  });

  it('names phantoms: a refused order that was applied, an applied order nobody sent', () => {
    const h = new History();
    const [, fail] = h.send(0, 'a', 'fail');
    const read = h.read({ a: 1, z: 1 });
    const verdict = checkOrdersHistory(h.ops);
    expect(verdict.valid).toBe(false);
    expect(verdict.anomalies).toEqual([
      { type: 'phantom', explanation: expect.stringContaining('refused'), ops: [0, fail, read] },
      { type: 'phantom', explanation: expect.stringContaining('never sent'), ops: [read] },
    ]);
  });

  it('says both guarantees broke when it lost one and duplicated another', () => {
    const h = new History();
    h.send(0, 'a', 'ok');
    h.send(0, 'b', 'ok');
    h.read({ b: 2 });
    expect(checkOrdersHistory(h.ops).stats.semantics_observed).toBe('none');
  });

  it('is unknown without a final read, or when an absent order may still be in flight', () => {
    const h = new History();
    h.send(0, 'a', 'ok');
    expect(checkOrdersHistory(h.ops).valid).toBe('unknown');
    h.add(0, 'invoke', 'read', null);
    h.add(0, 'info', 'read', null, 'timeout');
    expect(checkOrdersHistory(h.ops).valid).toBe('unknown');
    const undrained = new History();
    undrained.send(0, 'a', 'ok');
    undrained.read({}, false);
    expect(checkOrdersHistory(undrained.ops)).toMatchObject({ valid: 'unknown', anomalies: [] });
    // A duplicate is proof even when the consumer had not drained.
    const dup = new History();
    dup.send(0, 'a', 'ok');
    dup.send(0, 'b', 'ok');
    dup.read({ a: 2 }, false);
    expect(checkOrdersHistory(dup.ops).valid).toBe(false);
  });

  it('pairs interleaved ops by process', () => {
    const h = new History();
    const i0 = h.add(0, 'invoke', 'send', { order_id: 'a' });
    const i1 = h.add(1, 'invoke', 'send', { order_id: 'b' });
    h.add(1, 'ok', 'send', { order_id: 'b' });
    const c0 = h.add(0, 'ok', 'send', { order_id: 'a' });
    const read = h.read({ b: 1 });
    const verdict = checkOrdersHistory(h.ops);
    expect(verdict.anomalies).toEqual([{ type: 'lost', explanation: expect.any(String), ops: [i0, c0, read] }]);
    expect(i1).toBe(1);
  });
});

// ------------------------------------------------------------------------------------------
// Properties: a generated correct history is valid; one injected anomaly is named.
// ------------------------------------------------------------------------------------------

type Outcome = 'ok' | 'fail' | 'info';

interface Generated {
  ops: HistoryOp[];
  /** order id -> index of its completion, and its outcome */
  sends: Map<string, { completion: number; outcome: Outcome }>;
  applied: Record<string, number>;
}

/** Interleaves per-process sends (invoke ... completion) in a random but valid order, with nemesis ops among them. */
function generate(seed: number, outcomes: Outcome[], processes: number, infoApplied: boolean[]): Generated {
  let s = seed >>> 0;
  const rnd = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const h = new History();
  const queue = outcomes.map((o, i) => ({
    id: `o-${i}`,
    outcome: o,
    applied: o === 'ok' || (o === 'info' && infoApplied[i % infoApplied.length]),
  }));
  const pending = new Map<number, (typeof queue)[number]>();
  const sends = new Map<string, { completion: number; outcome: Outcome }>();
  let next = 0;
  while (next < queue.length || pending.size > 0) {
    if (rnd() < 0.05) h.add('nemesis', rnd() < 0.5 ? 'invoke' : 'info', 'start', { fault: 'crash-consumer' });
    const p = Math.floor(rnd() * processes);
    const open = pending.get(p);
    if (open) {
      sends.set(open.id, { completion: h.add(p, open.outcome, 'send', { order_id: open.id }), outcome: open.outcome });
      pending.delete(p);
    } else if (next < queue.length) {
      const op = queue[next++];
      h.add(p, 'invoke', 'send', { order_id: op.id });
      pending.set(p, op);
    }
  }
  const applied: Record<string, number> = {};
  for (const q of queue) if (q.applied) applied[q.id] = 1;
  return { ops: h.ops, sends, applied };
}

const outcomesArb = fc.array(fc.constantFrom<Outcome>('ok', 'ok', 'ok', 'info', 'fail'), {
  minLength: 1,
  maxLength: 60,
});

describe('orders checker properties', () => {
  it('a generated correct history is valid', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        outcomesArb,
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.boolean(), { minLength: 1 }),
        (seed, outcomes, procs, infoApplied) => {
          const g = generate(seed, outcomes, procs, infoApplied);
          const h = new History();
          h.ops.push(...g.ops);
          h.read(g.applied);
          const verdict = checkOrdersHistory(h.ops);
          return verdict.valid === true && verdict.anomalies.length === 0;
        },
      ),
    );
  });

  it('one injected loss, duplicate or phantom makes it invalid and names the injected send', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        outcomesArb,
        fc.integer({ min: 1, max: 6 }),
        fc.nat(),
        fc.constantFrom('lost', 'duplicate', 'phantom'),
        (seed, outcomes, procs, pick, kind) => {
          const g = generate(seed, outcomes, procs, [false]);
          const candidates = [...g.sends].filter(([, s]) =>
            kind === 'lost' ? s.outcome === 'ok' : kind === 'phantom' ? s.outcome === 'fail' : true,
          );
          fc.pre(candidates.length > 0);
          const [id, target] = candidates[pick % candidates.length];
          const applied = { ...g.applied, [id]: kind === 'lost' ? 0 : kind === 'duplicate' ? 2 : 1 };
          const h = new History();
          h.ops.push(...g.ops);
          h.read(applied);
          const verdict = checkOrdersHistory(h.ops);
          return (
            verdict.valid === false &&
            verdict.anomalies.length === 1 &&
            verdict.anomalies[0].type === kind &&
            verdict.anomalies[0].ops.includes(target.completion)
          );
        },
      ),
    );
  });
});
