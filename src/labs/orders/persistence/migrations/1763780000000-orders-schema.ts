import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The orders lab's schema: the dedupe records (processed_messages), the orders with the number of
 * times each one's side effect ran (applied_count, deliberately without any uniqueness guard),
 * and processing_log, one row per delivery attempt and outcome.
 */
export class OrdersSchema1763780000000 implements MigrationInterface {
  name = 'OrdersSchema1763780000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS orders`);
    await q.query(`
      CREATE TABLE orders.processed_messages (
        message_id   varchar(255) PRIMARY KEY,
        payload      jsonb        NOT NULL,
        processed_at timestamptz  NOT NULL DEFAULT now(),
        consumer_id  varchar(255) NOT NULL,
        created_at   timestamptz  NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX processed_messages_consumer_id_idx ON orders.processed_messages (consumer_id)`);
    await q.query(`CREATE INDEX processed_messages_processed_at_idx ON orders.processed_messages (processed_at)`);
    await q.query(`
      CREATE TABLE orders.orders (
        order_id      varchar(255)  PRIMARY KEY,
        customer_id   varchar(255)  NOT NULL,
        items         jsonb         NOT NULL,
        total_amount  numeric(10,2) NOT NULL,
        status        varchar(50)   NOT NULL DEFAULT 'pending',
        applied_count integer       NOT NULL DEFAULT 1 CHECK (applied_count >= 1),
        created_at    timestamptz   NOT NULL DEFAULT now(),
        updated_at    timestamptz
      )`);
    await q.query(`CREATE INDEX orders_customer_id_idx ON orders.orders (customer_id)`);
    await q.query(`CREATE INDEX orders_status_idx ON orders.orders (status)`);
    await q.query(`CREATE INDEX orders_created_at_idx ON orders.orders (created_at)`);
    await q.query(`
      CREATE TABLE orders.processing_log (
        id          bigserial    PRIMARY KEY,
        message_id  varchar(255) NOT NULL,
        event_type  varchar(50)  NOT NULL,
        consumer_id varchar(255) NOT NULL,
        details     jsonb,
        created_at  timestamptz  NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX processing_log_message_id_idx ON orders.processing_log (message_id)`);
    await q.query(`CREATE INDEX processing_log_event_type_idx ON orders.processing_log (event_type)`);
    await q.query(
      `INSERT INTO orders.processing_log (message_id, event_type, consumer_id, details)
       VALUES ('system', 'init', 'database', '{"message": "orders schema initialized"}')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA IF EXISTS orders CASCADE`);
  }
}
