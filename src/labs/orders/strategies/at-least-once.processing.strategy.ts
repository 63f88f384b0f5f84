import { Injectable } from '@nestjs/common';
import { LabStrategy } from '../../../platform/strategy';
import { ORDERS_LAB } from '../orders.config';
import { DeliveryMode } from './delivery.port';
import { OffsetStore, PROCESSING_PORT, ProcessingSteps, ProcessingPort } from './processing.port';

/**
 * Write, then commit the offset. Nothing is lost, but a crash between the two (crash point
 * after-db-write) redelivers the message: without an idempotent write it is applied twice.
 * Reads uncommitted records: messages of an aborted producer transaction are processed as well.
 */
@Injectable()
@LabStrategy({
  lab: ORDERS_LAB,
  port: PROCESSING_PORT,
  key: DeliveryMode.AtLeastOnce,
  description:
    'database write then offset commit, read_uncommitted: no loss, redelivery after a crash; sees aborted batches',
})
export class AtLeastOnceProcessingStrategy extends ProcessingPort {
  readonly mode = DeliveryMode.AtLeastOnce;
  readonly consumerConfig = { readUncommitted: true };
  readonly offsetStore: OffsetStore = 'kafka';

  async process<T>(steps: ProcessingSteps<T>): Promise<T> {
    steps.reached('before-db-write');
    const outcome = await steps.writeToDatabase();
    steps.reached('after-db-write');
    await steps.commitOffset();
    steps.reached('after-offset-commit');
    return outcome;
  }
}
