import { Injectable } from '@nestjs/common';
import { LabDatabase, SqlExecutor } from '../../../platform/database/lab-database';

export interface StoredPosition {
  groupId: string;
  topic: string;
  partition: number;
  /** The next offset to read after the records the transaction applied. */
  nextOffset: string;
  /** The Kafka cluster the offsets belong to (a broker on fresh data starts its offsets at 0 again). */
  clusterId: string;
}

/**
 * The consumer's position in PostgreSQL (orders.consumer_offsets): stored by the write
 * transaction of the records it covers, read when a partition is assigned. The last writer wins:
 * a position that went back (a late transaction of a member that lost the partition) only
 * redelivers what the dedupe records absorb, where one kept from another cluster would skip records.
 */
@Injectable()
export class ConsumerOffsetsRepository {
  constructor(private readonly db: LabDatabase) {}

  /** Inside the caller's transaction. */
  async store(sql: SqlExecutor, position: StoredPosition): Promise<void> {
    await sql.execute(
      `INSERT INTO orders.consumer_offsets (group_id, topic, partition, next_offset, cluster_id, updated_at)
       VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (group_id, topic, partition) DO UPDATE
         SET next_offset = EXCLUDED.next_offset, cluster_id = EXCLUDED.cluster_id, updated_at = now()`,
      [position.groupId, position.topic, position.partition, position.nextOffset, position.clusterId],
    );
  }

  /** Outside any transaction (a dead-lettered record, a chunk of malformed records). */
  storeAlone(position: StoredPosition): Promise<void> {
    return this.store(this.db, position);
  }

  /** The stored position of this cluster's partition, if any. */
  async find(groupId: string, topic: string, partition: number, clusterId: string): Promise<bigint | undefined> {
    const rows = await this.db.query<{ next_offset: string }>(
      `SELECT next_offset FROM orders.consumer_offsets
       WHERE group_id = $1 AND topic = $2 AND partition = $3 AND cluster_id = $4`,
      [groupId, topic, partition, clusterId],
    );
    return rows.length ? BigInt(rows[0].next_offset) : undefined;
  }
}
