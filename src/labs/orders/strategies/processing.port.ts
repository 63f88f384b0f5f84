import type { CrashPoint } from '../orders.config';
import type { DeliveryMode } from './delivery.port';

export const PROCESSING_PORT = 'processing';

/** The steps of one message; the strategy decides their order. */
export interface ProcessingSteps<T> {
  /** Writes the order to the database (through the idempotency strategy), with retries and dead-lettering. */
  writeToDatabase(): Promise<T>;
  /** Commits the message's offset for the consumer group. */
  commitOffset(): Promise<void>;
  /** A crash point: when armed here, throws a CrashSignal and nothing after it runs. */
  reached(point: CrashPoint): void;
}

/**
 * The consumer's processing mode: which records it reads (read_committed or not) and whether the
 * offset is committed before or after the database write. A change rebuilds the Kafka consumer.
 */
export abstract class ProcessingStrategy {
  abstract readonly mode: DeliveryMode;
  /** isolation.level=read_committed: records of aborted transactions are never returned. */
  abstract readonly readCommitted: boolean;

  abstract process<T>(steps: ProcessingSteps<T>): Promise<T>;
}
