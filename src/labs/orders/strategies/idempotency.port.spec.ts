import type { OrderMessage } from '../domain/order-message';
import { rounds } from './idempotency.port';

describe('rounds of distinct order ids (a second copy in one chunk meets the first as a redelivery would)', () => {
  it('puts the n-th copy of each id in round n, ids sorted inside a round', () => {
    const e = (id: string) => ({ order: { order_id: id } as OrderMessage, traceId: null });
    expect(rounds([e('b'), e('a'), e('b'), e('c'), e('b')])).toEqual([[1, 0, 3], [2], [4]]);
  });
});
