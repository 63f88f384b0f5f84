import type { HistoryModel } from '../../../platform/experiments/testing/history-simulator';
import type { OrdersReadValue } from './orders-history.checker';

/** A correct exactly-once pipeline, for generated histories: an acknowledged send is applied once; the final read counts them. */
export const ordersModel: HistoryModel<Record<string, number>> = {
  init: () => ({}),
  next: (_rng, process, k) => ({ f: 'send', value: { order_id: `o${process}-${k}` } }),
  apply(state, op) {
    if (op.f === 'read')
      return { type: 'ok', value: { applied: { ...state }, drained: true } satisfies OrdersReadValue };
    const { order_id } = op.value as { order_id: string };
    state[order_id] = 1;
    return { type: 'ok', value: { order_id } };
  },
  finalOps: () => [{ f: 'read', value: null }],
};
