import { Injectable } from '@nestjs/common';
import { LabStrategy } from '../../../platform/strategy';
import { ORDERS_LAB } from '../orders.config';
import { DeliveryMode } from './delivery.port';
import { OffsetStore, PROCESSING_PORT, ProcessingSteps, ProcessingPort } from './processing.port';

/**
 * read_committed, write then commit the offset, and the consumed position stored in PostgreSQL by
 * the write transaction itself (the sink-side pattern): aborted producer transactions are
 * invisible, and a crash between the write and the Kafka offset commit does not redeliver, because
 * the restarted consumer seeks to the position the database holds. This needs the idempotent write
 * (its transaction carries the position); it also stays the second line of defence, for copies the
 * log itself holds twice (a producer retry, /simulate/duplicate). With idempotency off nothing in the
 * database remembers the position, and the crash redelivers as in at-least-once.
 */
@Injectable()
@LabStrategy({
  lab: ORDERS_LAB,
  port: PROCESSING_PORT,
  key: DeliveryMode.ExactlyOnce,
  isDefault: true,
  description:
    'read_committed, database write (with the consumed offsets) then offset commit; exactly-once together with the idempotent write',
})
export class ExactlyOnceProcessingStrategy extends ProcessingPort {
  readonly mode = DeliveryMode.ExactlyOnce;
  readonly consumerConfig = { readUncommitted: false };
  readonly offsetStore: OffsetStore = 'database';

  async process<T>(steps: ProcessingSteps<T>): Promise<T> {
    steps.reached('before-db-write');
    const outcome = await steps.writeToDatabase();
    steps.reached('after-db-write');
    await steps.commitOffset();
    steps.reached('after-offset-commit');
    return outcome;
  }
}
