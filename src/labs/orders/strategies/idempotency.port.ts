import type { SqlExecutor } from '../../../platform/database/lab-database';
import type { OrderMessage } from '../domain/order-message';

export const IdempotencyKey = { Idempotent: 'idempotent', None: 'none' } as const;
export type IdempotencyKey = (typeof IdempotencyKey)[keyof typeof IdempotencyKey];

export const IDEMPOTENCY_PORT = 'idempotency';

/** One delivered record of a chunk, parsed. */
export interface OrderToApply {
  order: OrderMessage;
  traceId: string | null;
}

export type ApplyOutcome =
  /** The order's side effect ran; `appliedCount` > 1 means it ran again for the same order (a duplicate). */
  | { status: 'applied'; appliedCount: number }
  /** A redelivery (or a second copy) of an order already applied with the same body: nothing applied. */
  | { status: 'duplicate' }
  /** An order_id already applied with a different body: nothing applied, dead-lettered with `reason`. */
  | { status: 'conflict'; reason: string };

export interface ApplyContext {
  consumerId: string;
  /** Runs inside the database transaction before each order write (the simulated failure). */
  beforeOrderWrite(): void;
  /**
   * Runs inside the transaction just before COMMIT, with one outcome per record: dead-letters the
   * conflicts, stores the consumer's position when `keepPosition` and the processing mode keeps it
   * in the database, and throws a CrashSignal when the node died meanwhile (the transaction rolls back).
   */
  beforeCommit(sql: SqlExecutor, outcomes: ApplyOutcome[], keepPosition: boolean): Promise<void>;
}

/**
 * The order's side effect for a set of orders with distinct ids, in one statement. applied_count is
 * deliberately not protected by any uniqueness: each application adds one, so a message applied
 * twice is visible as applied_count = 2. The WHERE keeps an order_id that already exists with a
 * different body untouched (no row returned: a conflict), so a second order under the same id is
 * never folded into the first.
 */
export const APPLY_ORDERS_SQL = `
  INSERT INTO orders.orders AS o (order_id, customer_id, items, total_amount, status, applied_count, created_at)
  SELECT id, customer, items, total, 'processed', 1, now()
  FROM unnest($1::varchar[], $2::varchar[], $3::jsonb[], $4::numeric[]) AS t(id, customer, items, total)
  ON CONFLICT (order_id) DO UPDATE
    SET applied_count = o.applied_count + 1, status = 'processed', updated_at = now()
    WHERE o.customer_id = EXCLUDED.customer_id AND o.items = EXCLUDED.items AND o.total_amount = EXCLUDED.total_amount
  RETURNING order_id, applied_count`;

/** One processing_log row per record and outcome, written by the same transaction, so the log never disagrees with it. */
export const LOG_ATTEMPTS_SQL = `
  INSERT INTO orders.processing_log (message_id, event_type, consumer_id, details)
  SELECT id, event, $3, details FROM unnest($1::varchar[], $2::varchar[], $4::jsonb[]) AS t(id, event, details)`;

export function applyOrdersParams(orders: OrderMessage[]): unknown[] {
  return [
    orders.map((o) => o.order_id),
    orders.map((o) => o.customer_id),
    orders.map((o) => JSON.stringify(o.items)),
    orders.map((o) => o.total_amount),
  ];
}

export function logAttemptsParams(entries: OrderToApply[], outcomes: ApplyOutcome[], consumerId: string): unknown[] {
  const event = (o: ApplyOutcome) => (o.status === 'applied' ? 'applied' : o.status);
  return [
    entries.map((e) => e.order.order_id),
    outcomes.map(event),
    consumerId,
    entries.map((e, i) => {
      const outcome = outcomes[i];
      return JSON.stringify(
        outcome.status === 'conflict' ? { trace_id: e.traceId, reason: outcome.reason } : { trace_id: e.traceId },
      );
    }),
  ];
}

export const conflictReason = (orderId: string) =>
  `conflicting duplicate: order_id ${orderId} was already applied with a different body (customer, items or total)`;

/**
 * Splits a chunk into rounds of distinct order ids, in order: round 1 holds the first copy of
 * each id, round 2 the second, ... Each round is one set of statements, so a second copy in the
 * same chunk meets the first one's rows exactly as a later redelivery would. Ids are sorted inside
 * a round, so concurrent transactions take their row locks in one order (no deadlock).
 */
export function rounds(entries: OrderToApply[]): number[][] {
  const seen = new Map<string, number>();
  const out: number[][] = [];
  entries.forEach((entry, index) => {
    const round = seen.get(entry.order.order_id) ?? 0;
    seen.set(entry.order.order_id, round + 1);
    (out[round] ??= []).push(index);
  });
  for (const round of out)
    round.sort((a, b) =>
      entries[a].order.order_id < entries[b].order.order_id
        ? -1
        : entries[a].order.order_id > entries[b].order.order_id
          ? 1
          : a - b,
    );
  return out;
}

/** How the consumer applies orders so that a redelivery does (or does not) run the side effect again. */
export abstract class IdempotencyPort {
  abstract readonly key: IdempotencyKey;

  /** Applies a chunk in ONE database transaction; one outcome per entry, in the entries' order. */
  abstract apply(entries: OrderToApply[], context: ApplyContext): Promise<ApplyOutcome[]>;
}
