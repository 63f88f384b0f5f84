import type { OrderMessage } from '../domain/order-message';

export const IdempotencyKey = { idempotent: 'idempotent', none: 'none' } as const;
export type IdempotencyKey = (typeof IdempotencyKey)[keyof typeof IdempotencyKey];

export const IDEMPOTENCY_PORT = 'idempotency';

export type ApplyOutcome =
  /** The order's side effect ran; `appliedCount` > 1 means it ran again for the same order (a duplicate). */
  | { status: 'applied'; appliedCount: number }
  /** A redelivery recognised by its dedupe record: nothing applied. */
  | { status: 'duplicate' };

export interface ApplyContext {
  consumerId: string;
  traceId: string | null;
  /** Runs inside the database transaction just before the order write (the simulated failure). */
  beforeOrderWrite(): void;
}

/**
 * The order's side effect. `applied_count` is deliberately not protected by any uniqueness: each
 * application adds one, so a message applied twice is visible as applied_count = 2.
 * The attempt is logged in processing_log by the same transaction, so the log never disagrees with it.
 */
export const APPLY_ORDER_SQL = `
  INSERT INTO orders.orders AS o (order_id, customer_id, items, total_amount, status, applied_count, created_at)
  VALUES ($1, $2, $3::jsonb, $4, 'processed', 1, now())
  ON CONFLICT (order_id) DO UPDATE
    SET applied_count = o.applied_count + 1, status = 'processed', updated_at = now()
  RETURNING applied_count`;

export const LOG_ATTEMPT_SQL = `
  INSERT INTO orders.processing_log (message_id, event_type, consumer_id, details)
  VALUES ($1, $2, $3, $4::jsonb)`;

export function applyOrderParams(order: OrderMessage): unknown[] {
  return [order.order_id, order.customer_id, JSON.stringify(order.items), order.total_amount];
}

/** How the consumer applies an order so that a redelivery does (or does not) run the side effect again. */
export abstract class IdempotencyStrategy {
  abstract readonly key: IdempotencyKey;

  abstract apply(order: OrderMessage, context: ApplyContext): Promise<ApplyOutcome>;
}
