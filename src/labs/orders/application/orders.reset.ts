import { Injectable, Optional } from '@nestjs/common';
import { LabResetHook, LabResetProvider } from '../../../platform/reset/lab-reset.contract';
import { OrderConsumer } from './order.consumer';
import { ORDERS_LAB } from '../orders.config';
import { OrderQueriesService } from './order-queries.service';
import { PublishOrdersService } from './publish-orders.service';

/**
 * Orders' part of the one reset: processed_messages, orders and processing_log empty, the
 * consumer's message counter and the producer's counts at zero (for the nodes this process runs).
 * Kafka offsets are kept, as the seed's reset did: consumed messages are not replayed.
 */
@Injectable()
@LabResetProvider()
export class OrdersReset extends LabResetHook {
  readonly lab = ORDERS_LAB;

  constructor(
    private readonly queries: OrderQueriesService,
    @Optional() private readonly consumer?: OrderConsumer,
    @Optional() private readonly publish?: PublishOrdersService,
  ) {
    super();
  }

  async reset(): Promise<Record<string, unknown>> {
    await this.queries.reset();
    this.consumer?.resetCounter();
    await this.publish?.resetProducedCounts();
    return { tables: ['processed_messages', 'orders', 'processing_log'], kafka_offsets: 'kept' };
  }
}
