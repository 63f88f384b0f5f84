import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The consumer's position kept in PostgreSQL (exactly-once processing with the idempotent write):
 * the next offset to read per group, topic and partition, written by the same transaction as the
 * orders and dedupe records it covers, so the two can never disagree.
 */
export class OrdersConsumerOffsets1764600000000 implements MigrationInterface {
  name = 'OrdersConsumerOffsets1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE orders.consumer_offsets (
        group_id    varchar(255) NOT NULL,
        topic       varchar(255) NOT NULL,
        partition   integer      NOT NULL,
        next_offset bigint       NOT NULL CHECK (next_offset >= 0),
        updated_at  timestamptz  NOT NULL DEFAULT now(),
        PRIMARY KEY (group_id, topic, partition)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS orders.consumer_offsets`);
  }
}
