import { DynamicModule, Module, Provider, Type } from '@nestjs/common';
import { labDatabaseProvider } from '../../platform/database/database-pools.service';
import { OrdersExperiment } from './application/orders.experiment';
import { OrderQueriesService } from './application/order-queries.service';
import { OrdersSettingsService } from './application/orders-settings.service';
import { OrdersTopicsService } from './application/orders-topics.service';
import { ConsumerMetricsService } from './application/consumer-metrics.service';
import { ProcessOrderBatchService } from './application/process-order-batch.service';
import { PublishOrdersService } from './application/publish-orders.service';
import { KafkaInspectionService } from './application/kafka-inspection.service';
import { QueryApiController } from './nodes/api/query-api.controller';
import { ConsumerController } from './nodes/consumer/consumer.controller';
import { DeadLetterProducer } from './application/dead-letter.producer';
import { OrderConsumer } from './application/order.consumer';
import { OrdersReset } from './application/orders.reset';
import { StoredPositions } from './application/stored-positions';
import { OrderProducerService } from './application/order-producer.service';
import { ProducerController } from './nodes/producer/producer.controller';
import { ZombieProducerService } from './application/zombie-producer.service';
import { ORDERS_LAB } from './orders.config';
import { ordersMetricProviders } from './orders.metrics';
import { ConsumerOffsetsRepository } from './persistence/consumer-offsets.repository';
import { OrdersRepository } from './persistence/orders.repository';
import { AtLeastOnceDeliveryStrategy } from './strategies/at-least-once.delivery.strategy';
import { AtLeastOnceProcessingStrategy } from './strategies/at-least-once.processing.strategy';
import { AtMostOnceDeliveryStrategy } from './strategies/at-most-once.delivery.strategy';
import { AtMostOnceProcessingStrategy } from './strategies/at-most-once.processing.strategy';
import { ExactlyOnceDeliveryStrategy } from './strategies/exactly-once.delivery.strategy';
import { ExactlyOnceProcessingStrategy } from './strategies/exactly-once.processing.strategy';
import { IdempotentIdempotencyStrategy } from './strategies/idempotent.idempotency.strategy';
import { NoneIdempotencyStrategy } from './strategies/none.idempotency.strategy';

/** Stateless pieces every node may use; the strategies are registered whatever the nodes, so /admin/labs lists them. */
const SHARED: Provider[] = [
  ...ordersMetricProviders,
  labDatabaseProvider(ORDERS_LAB),
  OrdersSettingsService,
  OrdersTopicsService,
  OrdersRepository,
  OrderQueriesService,
  OrdersReset,
  AtMostOnceDeliveryStrategy,
  AtLeastOnceDeliveryStrategy,
  ExactlyOnceDeliveryStrategy,
  AtMostOnceProcessingStrategy,
  AtLeastOnceProcessingStrategy,
  ExactlyOnceProcessingStrategy,
  IdempotentIdempotencyStrategy,
  NoneIdempotencyStrategy,
  OrdersExperiment,
];

/** Each node's controllers and stateful providers (Kafka clients, loops); nodes share nothing else in-process. */
const NODES: Record<string, { controllers: Type<unknown>[]; providers: Provider[] }> = {
  producer: { controllers: [ProducerController], providers: [OrderProducerService, ZombieProducerService, PublishOrdersService] },
  consumer: {
    controllers: [ConsumerController],
    providers: [DeadLetterProducer, ConsumerOffsetsRepository, ConsumerMetricsService, ProcessOrderBatchService, StoredPositions, OrderConsumer],
  },
  api: { controllers: [QueryApiController], providers: [KafkaInspectionService] },
};

@Module({})
export class OrdersModule {
  static register(nodes: string[]): DynamicModule {
    const selected = nodes.map((node) => {
      const wiring = NODES[node];
      if (!wiring) throw new Error(`orders has no node "${node}"`);
      return wiring;
    });
    return {
      module: OrdersModule,
      controllers: selected.flatMap((s) => s.controllers),
      providers: [...SHARED, ...selected.flatMap((s) => s.providers)],
    };
  }
}
