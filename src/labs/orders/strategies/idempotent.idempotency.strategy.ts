import { Injectable } from '@nestjs/common';
import { LabDatabase } from '../../../platform/database/lab-database';
import { LabStrategy } from '../../../platform/strategy';
import { ORDERS_LAB } from '../orders.config';
import {
  APPLY_ORDERS_SQL,
  ApplyContext,
  ApplyOutcome,
  IDEMPOTENCY_PORT,
  IdempotencyKey,
  IdempotencyPort,
  LOG_ATTEMPTS_SQL,
  OrderToApply,
  applyOrdersParams,
  conflictReason,
  logAttemptsParams,
  rounds,
} from './idempotency.port';

/**
 * The dedupe records and the side effects of a whole chunk in ONE database transaction; the offset
 * is committed only after it (and, in exactly-once processing, stored by it). A crash before
 * COMMIT leaves neither (the redelivery applies the orders once); a crash after COMMIT but before
 * the offset commit leaves both, and a redelivery finds the dedupe records and does nothing. The
 * dedupe record keeps the first body: a copy with the same order_id and another body is a conflict,
 * dead-lettered, never applied. A concurrent copy blocks on the primary key until the first
 * transaction ends, then sees the conflict. No window is left open.
 *
 * Per round of distinct ids (see `rounds`):
 *   INSERT INTO processed_messages ... ON CONFLICT DO NOTHING RETURNING message_id   -- the claims
 *   SELECT ... FROM processed_messages JOIN the unclaimed ones                       -- same body?
 *   INSERT INTO orders ... ON CONFLICT DO UPDATE ... WHERE same body RETURNING        -- the side effects
 * then one processing_log row per record, the position, COMMIT.
 */
@Injectable()
@LabStrategy({
  lab: ORDERS_LAB,
  port: IDEMPOTENCY_PORT,
  key: IdempotencyKey.Idempotent,
  isDefault: true,
  description:
    'dedupe records + orders (+ the consumed offsets in exactly-once) in one transaction: redeliveries are detected and skipped',
})
export class IdempotentIdempotencyStrategy extends IdempotencyPort {
  readonly key = IdempotencyKey.Idempotent;

  constructor(private readonly db: LabDatabase) {
    super();
  }

  apply(entries: OrderToApply[], context: ApplyContext): Promise<ApplyOutcome[]> {
    return this.db.transaction('READ COMMITTED', async (tx) => {
      const outcomes: ApplyOutcome[] = new Array<ApplyOutcome>(entries.length);
      for (const round of rounds(entries)) {
        const orders = round.map((i) => entries[i].order);
        const ids = orders.map((o) => o.order_id);
        const claimed = new Set(
          (
            await tx.query<{ message_id: string }>(
              `INSERT INTO orders.processed_messages (message_id, payload, consumer_id, processed_at)
               SELECT id, payload, $3, now() FROM unnest($1::varchar[], $2::jsonb[]) AS t(id, payload)
               ON CONFLICT (message_id) DO NOTHING
               RETURNING message_id`,
              [ids, orders.map((o) => JSON.stringify(o)), context.consumerId],
            )
          ).map((r) => r.message_id),
        );
        const unclaimed = orders.filter((o) => !claimed.has(o.order_id));
        const sameBody = new Set<string>();
        if (unclaimed.length > 0) {
          const rows = await tx.query<{ message_id: string }>(
            `SELECT p.message_id FROM orders.processed_messages p
             JOIN unnest($1::varchar[], $2::jsonb[]) AS t(id, payload) ON p.message_id = t.id
             WHERE p.payload->'customer_id' = t.payload->'customer_id'
               AND p.payload->'items' = t.payload->'items'
               AND p.payload->'total_amount' = t.payload->'total_amount'`,
            [unclaimed.map((o) => o.order_id), unclaimed.map((o) => JSON.stringify(o))],
          );
          for (const r of rows) sameBody.add(r.message_id);
        }
        const toApply = orders.filter((o) => claimed.has(o.order_id));
        for (let i = 0; i < toApply.length; i++) context.beforeOrderWrite();
        const applied = new Map<string, number>();
        if (toApply.length > 0) {
          const rows = await tx.query<{ order_id: string; applied_count: number }>(
            APPLY_ORDERS_SQL,
            applyOrdersParams(toApply),
          );
          for (const r of rows) applied.set(r.order_id, r.applied_count);
        }
        // Claimed, but an orders row with another body was already there (applied while idempotency was off).
        const refused = toApply.filter((o) => !applied.has(o.order_id)).map((o) => o.order_id);
        if (refused.length > 0)
          await tx.execute(`DELETE FROM orders.processed_messages WHERE message_id = ANY($1::varchar[])`, [refused]);
        round.forEach((entryIndex, k) => {
          const id = ids[k];
          const count = applied.get(id);
          if (count !== undefined) outcomes[entryIndex] = { status: 'applied', appliedCount: count };
          else if (!claimed.has(id) && sameBody.has(id)) outcomes[entryIndex] = { status: 'duplicate' };
          else outcomes[entryIndex] = { status: 'conflict', reason: conflictReason(id) };
        });
      }
      await tx.execute(LOG_ATTEMPTS_SQL, logAttemptsParams(entries, outcomes, context.consumerId));
      await context.beforeCommit(tx, outcomes, true);
      return outcomes;
    });
  }
}
