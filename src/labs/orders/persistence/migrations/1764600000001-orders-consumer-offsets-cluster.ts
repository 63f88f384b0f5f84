import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The Kafka cluster a stored position belongs to: a broker started on fresh data (a new cluster id)
 * has topics of the same names whose offsets start again at 0, and an old position must not make
 * the consumer skip their records.
 */
export class OrdersConsumerOffsetsCluster1764600000001 implements MigrationInterface {
  name = 'OrdersConsumerOffsetsCluster1764600000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders.consumer_offsets ADD COLUMN cluster_id varchar(255) NOT NULL DEFAULT ''`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders.consumer_offsets DROP COLUMN cluster_id`);
  }
}
