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
 * No dedupe record: every delivery runs the side effect. The window: a crash after the database
 * COMMIT and before the offset commit makes Kafka redeliver the message, and the order is applied
 * a second time (applied_count = 2) — the duplicate side effect that /stats reports.
 */
@Injectable()
@LabStrategy({
  lab: ORDERS_LAB,
  port: IDEMPOTENCY_PORT,
  key: IdempotencyKey.none,
  description: 'no dedupe: a redelivery after a crash between database write and offset commit applies the order twice',
})
export class NoneIdempotencyStrategy extends IdempotencyStrategy {
  readonly key = IdempotencyKey.none;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  apply(order: OrderMessage, context: ApplyContext): Promise<ApplyOutcome> {
    return this.dataSource.transaction(async (tx) => {
      context.beforeOrderWrite();
      const [row] = (await tx.query(APPLY_ORDER_SQL, applyOrderParams(order))) as Array<{ applied_count: number }>;
      const details = JSON.stringify({ trace_id: context.traceId });
      await tx.query(LOG_ATTEMPT_SQL, [order.order_id, 'applied', context.consumerId, details]);
      return { status: 'applied', appliedCount: row.applied_count };
    });
  }
}
