import { Injectable, Logger } from '@nestjs/common';
import type { Consumer, EachBatchPayload } from 'kafkajs';
import { OrdersTopicsService } from './orders-topics.service';
import { ConsumerOffsetsRepository } from '../persistence/consumer-offsets.repository';

/**
 * The consumer's positions as PostgreSQL holds them (exactly-once processing with the idempotent
 * write stores them with its writes), read once per partition after each group join. The first
 * batch of a partition that starts behind its stored position — a crash after the write, before
 * the Kafka commit — is skipped: the group's offset is committed there and the consumer seeks to it.
 */
@Injectable()
export class StoredPositions {
  private readonly logger = new Logger('OrdersConsumer');
  private positions = new Map<string, Promise<bigint | undefined>>();

  constructor(
    private readonly offsets: ConsumerOffsetsRepository,
    private readonly topics: OrdersTopicsService,
  ) {}

  /** A new assignment or generation: positions stored meanwhile (by another member, or before a crash) are read again. */
  forget(): void {
    this.positions = new Map();
  }

  /**
   * Whether the batch was skipped because the stored position is ahead of it. Only positions
   * stored against this cluster id count (a broker on fresh data numbers its records from 0
   * again); one past the partition's end belongs to an older topic of the same name and is ignored.
   */
  async seekIfBehind(consumer: Consumer, clusterId: string, { batch, isRunning }: EachBatchPayload): Promise<boolean> {
    const key = `${batch.topic}/${batch.partition}`;
    let stored = this.positions.get(key);
    if (!stored) {
      stored = this.offsets.find(this.topics.groupId, batch.topic, batch.partition, clusterId);
      this.positions.set(key, stored);
      stored.catch(() => this.positions.delete(key));
    }
    const position = await stored;
    const first = BigInt(batch.firstOffset() ?? batch.messages[0].offset);
    if (position === undefined || position <= first || position > BigInt(batch.highWatermark) || !isRunning())
      return false;
    this.logger.log(`${key}: resuming at the position stored with the last write (${position}), not at ${first}`);
    const offset = position.toString();
    await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset }]);
    consumer.seek({ topic: batch.topic, partition: batch.partition, offset });
    return true;
  }
}

/** Runs one function at a time, in order (batches of different partitions while a crash point is armed). */
export class TakeTurns {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
