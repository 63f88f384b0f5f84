import { Injectable } from '@nestjs/common';
import { LabStrategy } from '../../../platform/strategy';
import { ORDERS_LAB } from '../orders.config';
import { DeliveryMode } from './delivery.port';
import { OffsetStore, PROCESSING_PORT, ProcessingSteps, ProcessingPort } from './processing.port';

/**
 * Commit first, then write. The window: a crash between the offset commit and the database write
 * (crash point before-db-write) loses the order for good — the group has moved past it.
 * Reads uncommitted records too, so an aborted transactional batch is processed.
 */
@Injectable()
@LabStrategy({
  lab: ORDERS_LAB,
  port: PROCESSING_PORT,
  key: DeliveryMode.AtMostOnce,
  description: 'offset committed before the database write: a crash in between loses the order',
})
export class AtMostOnceProcessingStrategy extends ProcessingPort {
  readonly mode = DeliveryMode.AtMostOnce;
  readonly consumerConfig = { readUncommitted: true };
  readonly offsetStore: OffsetStore = 'kafka';

  async process<T>(steps: ProcessingSteps<T>): Promise<T> {
    await steps.commitOffset();
    steps.reached('after-offset-commit');
    steps.reached('before-db-write');
    const outcome = await steps.writeToDatabase();
    steps.reached('after-db-write');
    return outcome;
  }
}
