import type { ConsumerConfig } from 'kafkajs';
import type { CrashPoint } from '../orders.config';
import type { DeliveryMode } from './delivery.port';

export const PROCESSING_PORT = 'processing';

/**
 * The steps of one chunk of a fetched batch (the records of one partition applied together; a
 * record where a crash point is armed is a chunk of its own). The strategy decides their order.
 */
export interface ProcessingSteps<T> {
  /** Writes the chunk's orders in one database transaction (through the idempotency strategy), with retries and dead-lettering. */
  writeToDatabase(): Promise<T>;
  /** Commits the chunk's last offset for the consumer group in Kafka. */
  commitOffset(): Promise<void>;
  /** A crash point, reached by every record of the chunk: when armed here, throws a CrashSignal and nothing after it runs. */
  reached(point: CrashPoint): void;
}

/** Where the consumer's position lives between a crash and the restart. */
export type OffsetStore =
  /** Only in the consumer group (Kafka): the restart resumes from the last commit. */
  | 'kafka'
  /**
   * Also in PostgreSQL, in the write transaction itself (orders.consumer_offsets, with the dedupe
   * records): the restart seeks to it, so a crash between the write and the Kafka commit does not
   * redeliver. Kafka is still committed after it, for the group's lag.
   */
  | 'database';

/**
 * The consumer's processing mode: the kafkajs consumer settings it needs (isolation level), where
 * the position is stored, and whether the offset is committed before or after the database write.
 * A change rebuilds the Kafka consumer with the new mode's `consumerConfig`.
 */
export abstract class ProcessingPort {
  abstract readonly mode: DeliveryMode;
  /** Settings of the kafkajs consumer this mode reads with; `readUncommitted: false` is isolation.level=read_committed. */
  abstract readonly consumerConfig: Readonly<Pick<ConsumerConfig, 'readUncommitted'>>;
  abstract readonly offsetStore: OffsetStore;

  abstract process<T>(steps: ProcessingSteps<T>): Promise<T>;
}
