import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LabStrategy } from '../../../platform/strategy';
import type { OrderMessage } from '../domain/order-message';
import { ORDERS_LAB } from '../orders.config';
import {
  APPLY_ORDER_SQL,
  ApplyContext,
  ApplyOutcome,
  IDEMPOTENCY_PORT,
  IdempotencyKey,
  IdempotencyStrategy,
  LOG_ATTEMPT_SQL,
  applyOrderParams,
} from './idempotency.port';

/**
 * The dedupe record and the side effect in ONE database transaction; the offset is committed
 * only after it. A crash before COMMIT leaves neither (the redelivery applies the order once);
 * a crash after COMMIT but before the offset commit leaves both, and the redelivery finds the
 * dedupe record and does nothing. A concurrent duplicate blocks on the primary key until the
 * first transaction ends, then sees the conflict. No window is left open.
 */
@Injectable()
@LabStrategy({
  lab: ORDERS_LAB,
  port: IDEMPOTENCY_PORT,
  key: IdempotencyKey.idempotent,
  isDefault: true,
  description: 'dedupe record + order in one transaction, offset committed after: redeliveries are detected and skipped',
})
export class IdempotentIdempotencyStrategy extends IdempotencyStrategy {
  readonly key = IdempotencyKey.idempotent;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  apply(order: OrderMessage, context: ApplyContext): Promise<ApplyOutcome> {
    return this.dataSource.transaction(async (tx) => {
      const claimed: unknown[] = await tx.query(
        `INSERT INTO orders.processed_messages (message_id, payload, consumer_id, processed_at)
         VALUES ($1, $2::jsonb, $3, now())
         ON CONFLICT (message_id) DO NOTHING
         RETURNING message_id`,
        [order.order_id, JSON.stringify(order), context.consumerId],
      );
      const details = JSON.stringify({ trace_id: context.traceId });
      if (claimed.length === 0) {
        await tx.query(LOG_ATTEMPT_SQL, [order.order_id, 'duplicate', context.consumerId, details]);
        return { status: 'duplicate' };
      }
      context.beforeOrderWrite();
      const [row] = (await tx.query(APPLY_ORDER_SQL, applyOrderParams(order))) as Array<{ applied_count: number }>;
      await tx.query(LOG_ATTEMPT_SQL, [order.order_id, 'applied', context.consumerId, details]);
      return { status: 'applied', appliedCount: row.applied_count };
    });
  }
}
