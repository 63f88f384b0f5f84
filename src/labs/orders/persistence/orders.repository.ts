import { Injectable } from '@nestjs/common';
import { LabDatabase, SqlExecutor } from '../../../platform/database/lab-database';

export interface OrderRow {
  order_id: string;
  customer_id: string;
  items: unknown[];
  total_amount: number;
  status: string;
  applied_count: number;
  created_at: string;
  updated_at: string | null;
}

export interface ProcessedMessageRow {
  message_id: string;
  payload: unknown;
  processed_at: string;
  consumer_id: string;
  created_at: string;
}

export interface SideEffectTotals {
  unique_orders: number;
  side_effects: number;
  duplicate_side_effects: number;
  orders_applied_more_than_once: number;
}

export interface AttemptTotals {
  delivery_attempts: number;
  redeliveries_detected: number;
  failed_attempts: number;
  dead_lettered: number;
}

const iso = (value: Date | string | null): string | null =>
  value === null ? null : (value instanceof Date ? value : new Date(value)).toISOString();

function toOrder(row: Record<string, unknown>): OrderRow {
  return {
    order_id: String(row.order_id),
    customer_id: String(row.customer_id),
    items: row.items as unknown[],
    total_amount: Number(row.total_amount),
    status: String(row.status),
    applied_count: Number(row.applied_count),
    created_at: iso(row.created_at as Date)!,
    updated_at: iso(row.updated_at as Date | null),
  };
}

function toProcessed(row: Record<string, unknown>): ProcessedMessageRow {
  return {
    message_id: String(row.message_id),
    payload: row.payload,
    processed_at: iso(row.processed_at as Date)!,
    consumer_id: String(row.consumer_id),
    created_at: iso(row.created_at as Date)!,
  };
}

/** Reads and maintenance of the orders schema (the writes of processing live in the idempotency strategies). */
@Injectable()
export class OrdersRepository {
  constructor(private readonly db: LabDatabase) {}

  async countProcessedMessages(): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM orders.processed_messages`);
    return row.n;
  }

  async messagesByConsumer(): Promise<Array<{ consumer_id: string; count: number }>> {
    return await this.db.query<{ consumer_id: string; count: number }>(
      `SELECT consumer_id, count(*)::int AS count FROM orders.processed_messages
       GROUP BY consumer_id ORDER BY count DESC, consumer_id`,
    );
  }

  async processedWindow(): Promise<{ rate_per_minute: number; first: string | null; last: string | null }> {
    const [row] = await this.db.query<{ rate: number; first: Date | null; last: Date | null }>(
      `SELECT count(*) FILTER (WHERE processed_at > now() - interval '1 minute')::int AS rate,
              min(processed_at) AS first, max(processed_at) AS last
       FROM orders.processed_messages`,
    );
    return { rate_per_minute: row.rate, first: iso(row.first), last: iso(row.last) };
  }

  async recentProcessed(
    limit: number,
  ): Promise<Array<{ message_id: string; processed_at: string; consumer_id: string }>> {
    const rows = await this.db.query<{ message_id: string; processed_at: Date; consumer_id: string }>(
      `SELECT message_id, processed_at, consumer_id FROM orders.processed_messages
       ORDER BY processed_at DESC, message_id LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      message_id: r.message_id,
      processed_at: iso(r.processed_at)!,
      consumer_id: r.consumer_id,
    }));
  }

  /** Side effects versus unique orders: applied_count - 1 extra applications per order are duplicates. */
  async sideEffectTotals(): Promise<SideEffectTotals> {
    const [row] = await this.db.query<SideEffectTotals>(
      `SELECT count(*)::int AS unique_orders,
              coalesce(sum(applied_count), 0)::int AS side_effects,
              coalesce(sum(applied_count - 1), 0)::int AS duplicate_side_effects,
              count(*) FILTER (WHERE applied_count > 1)::int AS orders_applied_more_than_once
       FROM orders.orders`,
    );
    return row;
  }

  async attemptTotals(): Promise<AttemptTotals> {
    const [row] = await this.db.query<AttemptTotals>(
      `SELECT count(*) FILTER (WHERE event_type = 'received')::int AS delivery_attempts,
              count(*) FILTER (WHERE event_type = 'duplicate')::int AS redeliveries_detected,
              count(*) FILTER (WHERE event_type = 'failed')::int AS failed_attempts,
              count(*) FILTER (WHERE event_type = 'dead_lettered')::int AS dead_lettered
       FROM orders.processing_log`,
    );
    return row;
  }

  async ordersAppliedMoreThanOnce(limit: number): Promise<Array<{ message_id: string; attempt_count: number }>> {
    return await this.db.query<{ message_id: string; attempt_count: number }>(
      `SELECT order_id AS message_id, applied_count AS attempt_count FROM orders.orders
       WHERE applied_count > 1 ORDER BY applied_count DESC, order_id LIMIT $1`,
      [limit],
    );
  }

  async listOrders(filter: {
    limit: number;
    offset: number;
    customerId?: string;
    status?: string;
  }): Promise<{ rows: OrderRow[]; total: number }> {
    const where = `WHERE ($1::text IS NULL OR customer_id = $1) AND ($2::text IS NULL OR status = $2)`;
    const params = [filter.customerId ?? null, filter.status ?? null];
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT * FROM orders.orders ${where} ORDER BY created_at DESC, order_id LIMIT $3 OFFSET $4`,
      [...params, filter.limit, filter.offset],
    );
    const [count] = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM orders.orders ${where}`, params);
    return { rows: rows.map(toOrder), total: count.n };
  }

  /** The order and its dedupe record from one snapshot: they commit together, so a read sees both or neither. */
  findOrderAndRecord(orderId: string): Promise<{ order: OrderRow | null; record: ProcessedMessageRow | null }> {
    return this.db.transaction('REPEATABLE READ', async (tx) => {
      const [order] = await tx.query<Record<string, unknown>>(`SELECT * FROM orders.orders WHERE order_id = $1`, [
        orderId,
      ]);
      const [record] = await tx.query<Record<string, unknown>>(
        `SELECT * FROM orders.processed_messages WHERE message_id = $1`,
        [orderId],
      );
      return { order: order ? toOrder(order) : null, record: record ? toProcessed(record) : null };
    });
  }

  async findOrder(orderId: string): Promise<OrderRow | null> {
    const rows = await this.db.query<Record<string, unknown>>(`SELECT * FROM orders.orders WHERE order_id = $1`, [
      orderId,
    ]);
    return rows.length ? toOrder(rows[0]) : null;
  }

  async findProcessingRecord(messageId: string): Promise<ProcessedMessageRow | null> {
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT * FROM orders.processed_messages WHERE message_id = $1`,
      [messageId],
    );
    return rows.length ? toProcessed(rows[0]) : null;
  }

  /** One delivery attempt or outcome (failed, dead_lettered), on its own or inside the caller's transaction. */
  async logEvent(
    messageId: string,
    eventType: string,
    consumerId: string,
    details: unknown,
    sql: SqlExecutor = this.db,
  ): Promise<void> {
    await sql.execute(
      `INSERT INTO orders.processing_log (message_id, event_type, consumer_id, details) VALUES ($1, $2, $3, $4::jsonb)`,
      [messageId, eventType, consumerId, JSON.stringify(details ?? null)],
    );
  }

  /** One `received` row per delivered record of a chunk, in one statement, before its processing transaction. */
  async logReceived(records: Array<{ messageId: string; details: unknown }>, consumerId: string): Promise<void> {
    await this.db.execute(
      `INSERT INTO orders.processing_log (message_id, event_type, consumer_id, details)
       SELECT id, 'received', $2, details FROM unnest($1::varchar[], $3::jsonb[]) AS t(id, details)`,
      [records.map((r) => r.messageId), consumerId, records.map((r) => JSON.stringify(r.details))],
    );
  }

  /** Empties the lab's tables; Kafka offsets are kept, so nothing already consumed comes back. */
  async reset(): Promise<void> {
    await this.db.execute(`TRUNCATE orders.processed_messages, orders.orders, orders.processing_log RESTART IDENTITY`);
  }
}
