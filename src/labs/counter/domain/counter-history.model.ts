import type { HistoryModel } from '../../../platform/experiments/testing/history-simulator';

/** A linearizable G- and PN-counter, for generated histories: increments apply atomically, reads see the current sums. */
export const counterModel: HistoryModel<Record<string, number>> = {
  init: () => ({ g: 0, pn: 0 }),
  next(rng) {
    const r = rng.next();
    const amount = rng.int(1, 5);
    if (r < 0.4) return { f: 'add', value: { counter: 'g', amount } };
    if (r < 0.55) return { f: 'add', value: { counter: 'pn', amount: rng.next() < 0.6 ? amount : -amount } };
    if (r < 0.85) return { f: 'read', value: { counter: 'g' } };
    return { f: 'read', value: { counter: 'pn' } };
  },
  apply(state, op) {
    const v = op.value as { counter: string; amount?: number };
    if (op.f === 'add') {
      state[v.counter] += v.amount ?? 0;
      return { type: 'ok', value: op.value };
    }
    return { type: 'ok', value: { counter: v.counter, value: state[v.counter] } };
  },
  finalOps: () => [
    { f: 'final-read', value: { counter: 'g' } },
    { f: 'final-read', value: { counter: 'pn' } },
  ],
};
