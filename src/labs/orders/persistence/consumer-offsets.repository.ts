import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { SqlExecutor } from '../../../platform/database/sql-transaction';

/**
 * The consumer's position in PostgreSQL (orders.consumer_offsets): stored by the write
 * transaction of the records it covers, read when a partition is assigned. It only moves forward,
 * so a late transaction of a consumer that lost the partition cannot move it back.
 */
@Injectable()
export class ConsumerOffsetsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Inside the caller's transaction: the next offset to read after the records it applied. */
  async store(sql: SqlExecutor | DataSource, position: { groupId: string; topic: string; partition: number; nextOffset: string }): Promise<void> {
    await sql.query(
      `INSERT INTO orders.consumer_offsets AS c (group_id, topic, partition, next_offset, updated_at)
       VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (group_id, topic, partition) DO UPDATE
         SET next_offset = GREATEST(c.next_offset, EXCLUDED.next_offset), updated_at = now()`,
      [position.groupId, position.topic, position.partition, position.nextOffset],
    );
  }

  /** Outside any transaction (a dead-lettered record, a chunk of malformed records). */
  storeAlone(position: { groupId: string; topic: string; partition: number; nextOffset: string }): Promise<void> {
    return this.store(this.dataSource, position);
  }

  async find(groupId: string, topic: string, partition: number): Promise<bigint | undefined> {
    const rows = (await this.dataSource.query(
      `SELECT next_offset FROM orders.consumer_offsets WHERE group_id = $1 AND topic = $2 AND partition = $3`,
      [groupId, topic, partition],
    )) as Array<{ next_offset: string }>;
    return rows.length ? BigInt(rows[0].next_offset) : undefined;
  }
}
