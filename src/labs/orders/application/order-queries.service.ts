import { Injectable } from '@nestjs/common';
import { withSpan } from '../../../platform/observability/tracing';
import { OrdersErrorCode, OrdersException } from '../orders.errors';
import { OrdersRepository } from '../persistence/orders.repository';

const DEFAULT_LIMIT = 20;

/** Reads of the query api and the consumer: unique orders versus side effects versus delivery attempts. */
@Injectable()
export class OrderQueriesService {
  constructor(private readonly repository: OrdersRepository) {}

  stats() {
    return withSpan('get_stats', {}, async () => {
      const [processed, byConsumer, window, effects, attempts] = await Promise.all([
        this.repository.countProcessedMessages(),
        this.repository.messagesByConsumer(),
        this.repository.processedWindow(),
        this.repository.sideEffectTotals(),
        this.repository.attemptTotals(),
      ]);
      return {
        total_processed_messages: processed,
        total_unique_orders: effects.unique_orders,
        messages_by_consumer: byConsumer,
        processing_rate_per_minute: window.rate_per_minute,
        first_processed: window.first,
        last_processed: window.last,
        total_side_effects: effects.side_effects,
        duplicate_side_effects: effects.duplicate_side_effects,
        orders_applied_more_than_once: effects.orders_applied_more_than_once,
        delivery_attempts: attempts.delivery_attempts,
        redeliveries_detected: attempts.redeliveries_detected,
        failed_attempts: attempts.failed_attempts,
        dead_lettered: attempts.dead_lettered,
      };
    });
  }

  async consumerStats() {
    const [processed, byConsumer, recent, effects, attempts] = await Promise.all([
      this.repository.countProcessedMessages(),
      this.repository.messagesByConsumer(),
      this.repository.recentProcessed(10),
      this.repository.sideEffectTotals(),
      this.repository.attemptTotals(),
    ]);
    return {
      total_processed_messages: processed,
      total_orders: effects.unique_orders,
      messages_by_consumer: byConsumer,
      recent_messages: recent,
      total_side_effects: effects.side_effects,
      duplicate_side_effects: effects.duplicate_side_effects,
      delivery_attempts: attempts.delivery_attempts,
      redeliveries_detected: attempts.redeliveries_detected,
    };
  }

  /** The seed's fields, now counting side effects: total rows > unique orders means an order was applied twice. */
  duplicates() {
    return withSpan('get_duplicate_stats', {}, async () => {
      const [effects, attempts, entries] = await Promise.all([
        this.repository.sideEffectTotals(),
        this.repository.attemptTotals(),
        this.repository.ordersAppliedMoreThanOnce(100),
      ]);
      return {
        unique_message_count: effects.unique_orders,
        total_database_rows: effects.side_effects,
        idempotency_working: effects.unique_orders === effects.side_effects,
        duplicate_entries: entries,
        duplicate_side_effects: effects.duplicate_side_effects,
        delivery_attempts: attempts.delivery_attempts,
        redeliveries_detected: attempts.redeliveries_detected,
        dead_lettered: attempts.dead_lettered,
      };
    });
  }

  listOrders(query: { limit?: number; offset?: number; customer_id?: string; status?: string }) {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const offset = query.offset ?? 0;
    return withSpan('get_orders', {}, async () => {
      const { rows, total } = await this.repository.listOrders({
        limit,
        offset,
        customerId: query.customer_id,
        status: query.status,
      });
      return { orders: rows, total, limit, offset };
    });
  }

  order(orderId: string) {
    return withSpan('get_order', { order_id: orderId }, async () => {
      const { order, record } = await this.repository.findOrderAndRecord(orderId);
      if (!order && !record) {
        throw new OrdersException(OrdersErrorCode.ORDER_NOT_FOUND, 'Order not found', 'not_found', {
          order_id: orderId,
        });
      }
      return { order, processing_record: record };
    });
  }

  reset() {
    return withSpan('reset_all', {}, () => this.repository.reset());
  }
}
