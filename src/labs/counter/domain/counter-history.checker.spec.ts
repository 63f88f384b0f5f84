import fc from 'fast-check';
import type { HistoryOp, OpType } from '../../../platform/experiments/experiment.contract';
import { checkCounterHistory } from './counter-history.checker';

class History {
  readonly ops: HistoryOp[] = [];
  add(process: number | 'nemesis', type: OpType, f: string, value: unknown, node?: string): number {
    const index = this.ops.length;
    this.ops.push({ index, type, process, f, value, time: index * 1_000_000, ...(node ? { node } : {}) });
    return index;
  }
  inc(
    process: number,
    counter: string,
    amount: number,
    outcome: Exclude<OpType, 'invoke'>,
    node: string,
    ackNode = node,
  ): [number, number] {
    return [
      this.add(process, 'invoke', 'add', { counter, amount }, node),
      this.add(process, outcome, 'add', { counter, amount }, ackNode),
    ];
  }
  read(process: number, counter: string, value: number | null, node: string, f = 'read'): [number, number] {
    return [
      this.add(process, 'invoke', f, { counter }, node),
      value === null
        ? this.add(process, 'info', f, { counter }, node)
        : this.add(process, 'ok', f, { counter, value }, node),
    ];
  }
}

const SETUP = { setup: { linearizable_nodes: ['gateway'] } };

describe('counter checker: every read within bounds, final reads exact', () => {
  it('is valid for a region that lags behind its peers but counts its own, and an exact final read', () => {
    const h = new History();
    h.inc(0, 'g', 5, 'ok', 'gateway', 'us-east');
    h.inc(1, 'g', 3, 'ok', 'us-west');
    h.read(0, 'g', 3, 'us-west'); // has not heard of us-east's 5 yet: fine for a region
    h.read(1, 'g', 8, 'gateway');
    h.inc(2, 'g', 2, 'info', 'eu-west');
    h.add('nemesis', 'info', 'start', { fault: 'partition' });
    h.read(0, 'g', 10, 'gateway'); // the info increment counted
    h.read(0, 'g', 10, 'us-east', 'final-read');
    h.read(1, 'g', 10, 'us-west', 'final-read');
    const v = checkCounterHistory(h.ops, SETUP);
    expect(v.anomalies).toEqual([]);
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({
      adds_ok: 2,
      adds_info: 1,
      reads: 3,
      reads_ok: 5,
      final_reads: 2,
      expected_final: { g: { exact: 8, min: 8, max: 10 } },
    });
  });

  it('names an undercount at a linearizable node (the max-of-totals gateway under a partition)', () => {
    const h = new History();
    h.inc(0, 'g', 5, 'ok', 'us-east');
    h.inc(1, 'g', 7, 'ok', 'us-west');
    const [inv, ok] = h.read(2, 'g', 7, 'gateway');
    const v = checkCounterHistory(h.ops, SETUP);
    expect(v.valid).toBe(false);
    expect(v.anomalies).toEqual([
      { type: 'read-out-of-bounds', explanation: expect.stringContaining('outside [12, 12]'), ops: [inv, ok] },
    ]);
    expect(v.stats).toMatchObject({ out_of_bounds_low: 1, max_undercount: 5 });
  });

  it('names a region that lost its own acknowledged increment', () => {
    const h = new History();
    h.inc(0, 'g', 4, 'ok', 'us-east');
    h.inc(0, 'g', 9, 'ok', 'us-west');
    const [inv, ok] = h.read(1, 'g', 3, 'us-east');
    const v = checkCounterHistory(h.ops, SETUP);
    expect(v.anomalies).toEqual([
      {
        type: 'read-out-of-bounds',
        explanation: expect.stringContaining('this region itself acknowledged'),
        ops: [inv, ok],
      },
    ]);
  });

  it('names an overcount: more than every increment invoked before the read completed (info ones included)', () => {
    const h = new History();
    h.inc(0, 'g', 4, 'info', 'us-east');
    h.inc(0, 'g', 1, 'fail', 'us-east');
    const [inv, ok] = h.read(1, 'g', 5, 'us-west');
    h.inc(0, 'g', 1, 'ok', 'us-east'); // invoked after the read completed: cannot excuse it
    const v = checkCounterHistory(h.ops, SETUP);
    expect(v.anomalies.map((a) => [a.type, a.ops])).toEqual([['read-out-of-bounds', [inv, ok]]]);
    expect(v.stats).toMatchObject({ out_of_bounds_high: 1, max_overcount: 1 });
  });

  it('counts an increment concurrent with the read either way', () => {
    const h = new History();
    const addInv = h.add(0, 'invoke', 'add', { counter: 'g', amount: 3 }, 'gateway');
    h.read(1, 'g', 3, 'gateway');
    h.read(1, 'g', 0, 'gateway');
    h.add(0, 'ok', 'add', { counter: 'g', amount: 3 }, 'us-east');
    expect(addInv).toBe(0);
    const v = checkCounterHistory(h.ops, SETUP);
    // bounds hold for both, but a grow-only counter went down at the gateway
    expect(v.anomalies.map((a) => a.type)).toEqual(['non-monotonic-read']);
    expect(v.anomalies[0].ops).toEqual([2, 3, 4]);
  });

  it('names a final read that disagrees with the ok increments after the heal', () => {
    const h = new History();
    h.inc(0, 'g', 2, 'ok', 'us-east');
    h.inc(0, 'g', 2, 'ok', 'us-west');
    h.read(0, 'g', 4, 'us-east', 'final-read');
    const [inv, ok] = h.read(0, 'g', 2, 'eu-west', 'final-read');
    const v = checkCounterHistory(h.ops, SETUP);
    expect(v.anomalies).toEqual([
      { type: 'final-read-mismatch', explanation: expect.stringContaining('sum to 4'), ops: [inv, ok] },
    ]);
  });

  it('bounds PN-counter reads with decrements, and skips the monotonic check for them', () => {
    const h = new History();
    h.inc(0, 'pn', 10, 'ok', 'us-east');
    h.inc(1, 'pn', -4, 'ok', 'us-west');
    h.inc(2, 'pn', -3, 'info', 'eu-west');
    h.read(0, 'pn', 10, 'us-east'); // us-west's decrement not synced yet: fine at a region
    h.read(0, 'pn', 3, 'us-east'); // both decrements: fine (and going down is fine)
    const [inv, ok] = h.read(0, 'pn', 2, 'us-east'); // below Σ positive own − Σ every decrement
    h.read(0, 'pn', 6, 'us-east', 'final-read');
    h.read(0, 'pn', 3, 'us-west', 'final-read');
    const v = checkCounterHistory(h.ops, SETUP);
    expect(v.anomalies.map((a) => [a.type, a.ops])).toEqual([['read-out-of-bounds', [inv, ok]]]);
    expect(v.stats.expected_final).toEqual({ pn: { exact: 6, min: 3, max: 6 } });
  });

  it('is unknown without a completed final read; info reads are not judged', () => {
    const h = new History();
    h.inc(0, 'g', 1, 'ok', 'us-east');
    h.read(1, 'g', null, 'gateway');
    expect(checkCounterHistory(h.ops, SETUP).valid).toBe('unknown');
    h.read(1, 'g', null, 'us-east', 'final-read');
    expect(checkCounterHistory(h.ops, SETUP).valid).toBe('unknown');
  });
});

// ------------------------------------------------------------------------------------------
// Properties
// ------------------------------------------------------------------------------------------

const REGIONS = ['us-east', 'us-west', 'eu-west'];

interface Sim {
  ops: HistoryOp[];
  reads: number[];
  finals: number[];
  maxInvoked: number;
}

/**
 * A correct run: each add takes effect at one step between its invoke and its completion (info
 * ones maybe, failed ones never); the gateway reads the true value at one step within the read;
 * a region reads its own adds plus the others' that took effect at least `lag` steps ago.
 */
function simulate(seed: number, nOps: number, processes: number, lag: number): Sim {
  let s = seed >>> 0;
  const rnd = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const h = new History();
  const applied: Array<{ step: number; region: string; amount: number }> = [];
  type Pending = {
    kind: 'add' | 'read';
    node: string;
    amount: number;
    outcome: Exclude<OpType, 'invoke'>;
    done: boolean;
    ack: string;
    value?: number;
  };
  const pending = new Map<number, Pending>();
  const valueAt = (node: string, step: number) =>
    applied.reduce(
      (sum, a) => (node === 'gateway' || a.region === node || a.step <= step - lag ? sum + a.amount : sum),
      0,
    );
  let planned = 0;
  let step = 0;
  let maxInvoked = 0;
  const reads: number[] = [];
  while (planned < nOps || pending.size > 0) {
    step++;
    const p = Math.floor(rnd() * processes);
    const open = pending.get(p);
    if (!open) {
      if (planned >= nOps) continue;
      planned++;
      if (rnd() < 0.5) {
        const node = rnd() < 0.3 ? 'gateway' : REGIONS[Math.floor(rnd() * 3)];
        const ack = node === 'gateway' ? REGIONS[Math.floor(rnd() * 3)] : node;
        const r = rnd();
        const amount = 1 + Math.floor(rnd() * 5);
        maxInvoked += amount;
        pending.set(p, {
          kind: 'add',
          node,
          amount,
          ack,
          outcome: r < 0.8 ? 'ok' : r < 0.9 ? 'info' : 'fail',
          done: false,
        });
        h.add(p, 'invoke', 'add', { counter: 'g', amount }, node);
      } else {
        const node = rnd() < 0.4 ? 'gateway' : REGIONS[Math.floor(rnd() * 3)];
        pending.set(p, { kind: 'read', node, amount: 0, ack: node, outcome: 'ok', done: false });
        h.add(p, 'invoke', 'read', { counter: 'g' }, node);
      }
      continue;
    }
    if (!open.done && rnd() < 0.5) {
      open.done = true;
      if (open.kind === 'add' && (open.outcome === 'ok' || (open.outcome === 'info' && rnd() < 0.5)))
        applied.push({ step, region: open.ack, amount: open.amount });
      if (open.kind === 'read') open.value = valueAt(open.node, step);
      continue;
    }
    if (!open.done) continue;
    pending.delete(p);
    if (open.kind === 'add') h.add(p, open.outcome, 'add', { counter: 'g', amount: open.amount }, open.ack);
    else reads.push(h.add(p, 'ok', 'read', { counter: 'g', value: open.value }, open.node));
  }
  const total = applied.reduce((sum, a) => sum + a.amount, 0);
  const finals = REGIONS.map((region) => h.read(0, 'g', total, region, 'final-read')[1]);
  return { ops: h.ops, reads, finals, maxInvoked };
}

describe('counter checker properties', () => {
  const args = [
    fc.integer(),
    fc.integer({ min: 1, max: 80 }),
    fc.integer({ min: 1, max: 6 }),
    fc.integer({ min: 0, max: 30 }),
  ] as const;

  it('a generated correct history is valid', () => {
    fc.assert(
      fc.property(...args, (seed, nOps, procs, lag) => {
        const v = checkCounterHistory(simulate(seed, nOps, procs, lag).ops, SETUP);
        return v.valid === true && v.anomalies.length === 0;
      }),
    );
  });

  it('one injected wrong read (under, over, or a final mismatch) is invalid and named', () => {
    fc.assert(
      fc.property(
        ...args,
        fc.nat(),
        fc.constantFrom('under', 'over', 'final'),
        (seed, nOps, procs, lag, pick, kind) => {
          const sim = simulate(seed, nOps, procs, lag);
          const targets = kind === 'final' ? sim.finals : sim.reads;
          fc.pre(targets.length > 0);
          const target = targets[pick % targets.length];
          const ops = sim.ops.map((op) => ({ ...op }));
          const value = kind === 'under' ? -1 : sim.maxInvoked + 1;
          ops[target].value = { counter: 'g', value };
          const v = checkCounterHistory(ops, SETUP);
          return v.valid === false && v.anomalies.length > 0 && v.anomalies.every((a) => a.ops.includes(target));
        },
      ),
    );
  });
});
