import { Injectable } from '@nestjs/common';
import { LabStrategy } from '../../../platform/strategy';
import { ORDERS_LAB } from '../orders.config';
import { DeliveryMode } from './delivery.port';
import { PROCESSING_PORT, ProcessingSteps, ProcessingStrategy } from './processing.port';

/**
 * read_committed, write then commit the offset. Aborted producer transactions are invisible; a
 * crash between the write and the offset commit still redelivers, so exactly-once holds only with
 * the idempotent write (the idempotency strategy) turning that redelivery into a no-op.
 */
@Injectable()
@LabStrategy({
  lab: ORDERS_LAB,
  port: PROCESSING_PORT,
  key: DeliveryMode.exactlyOnce,
  isDefault: true,
  description: 'read_committed, database write then offset commit; exactly-once together with the idempotent write',
})
export class ExactlyOnceProcessingStrategy extends ProcessingStrategy {
  readonly mode = DeliveryMode.exactlyOnce;
  readonly readCommitted = true;

  async process<T>(steps: ProcessingSteps<T>): Promise<T> {
    steps.reached('before-db-write');
    const outcome = await steps.writeToDatabase();
    steps.reached('after-db-write');
    await steps.commitOffset();
    steps.reached('after-offset-commit');
    return outcome;
  }
}
