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
 * No dedupe record, and nothing of the consumer's position in the database: every delivery runs
 * the side effect. The window: a crash after the database COMMIT and before the offset commit
 * makes Kafka redeliver the message, and the order is applied a second time (applied_count = 2) —
 * the duplicate side effect that /stats reports. (An order_id that exists with another body is
 * still refused by the upsert's WHERE and dead-lettered: that is the idempotency key's meaning,
 * not deduplication.)
 */
@Injectable()
@LabStrategy({
  lab: ORDERS_LAB,
  port: IDEMPOTENCY_PORT,
  key: IdempotencyKey.None,
  description: 'no dedupe: a redelivery after a crash between database write and offset commit applies the order twice',
})
export class NoneIdempotencyStrategy extends IdempotencyPort {
  readonly key = IdempotencyKey.None;

  constructor(private readonly db: LabDatabase) {
    super();
  }

  apply(entries: OrderToApply[], context: ApplyContext): Promise<ApplyOutcome[]> {
    return this.db.transaction('READ COMMITTED', async (tx) => {
      const outcomes: ApplyOutcome[] = new Array<ApplyOutcome>(entries.length);
      for (const round of rounds(entries)) {
        const orders = round.map((i) => entries[i].order);
        for (let i = 0; i < orders.length; i++) context.beforeOrderWrite();
        const rows = await tx.query<{ order_id: string; applied_count: number }>(
          APPLY_ORDERS_SQL,
          applyOrdersParams(orders),
        );
        const applied = new Map(rows.map((r) => [r.order_id, r.applied_count]));
        round.forEach((entryIndex, k) => {
          const id = orders[k].order_id;
          const count = applied.get(id);
          outcomes[entryIndex] =
            count !== undefined
              ? { status: 'applied', appliedCount: count }
              : { status: 'conflict', reason: conflictReason(id) };
        });
      }
      await tx.execute(LOG_ATTEMPTS_SQL, logAttemptsParams(entries, outcomes, context.consumerId));
      await context.beforeCommit(tx, outcomes, false);
      return outcomes;
    });
  }
}
