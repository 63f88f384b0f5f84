import { DynamicModule, Module } from '@nestjs/common';
import { LabWiring, wireLab } from '../../platform/config/lab-wiring';
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
import { ProducerMetricsService } from './application/producer-metrics.service';
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

/** Shared providers always (strategies included, so /admin/labs lists them); each node adds its controllers and stateful services. */
const ORDERS_WIRING: LabWiring<typeof ORDERS_LAB> = {
  lab: ORDERS_LAB,
  shared: [
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
  ],
  nodes: {
    producer: {
      controllers: [ProducerController],
      providers: [OrderProducerService, ProducerMetricsService, ZombieProducerService, PublishOrdersService],
    },
    consumer: {
      controllers: [ConsumerController],
      providers: [
        DeadLetterProducer,
        ConsumerOffsetsRepository,
        ConsumerMetricsService,
        ProcessOrderBatchService,
        StoredPositions,
        OrderConsumer,
      ],
    },
    api: { controllers: [QueryApiController], providers: [KafkaInspectionService] },
  },
};

/** Orders over Kafka: a producer, a consumer writing PostgreSQL, and a query API (seed ports 8000, 8001, 8003). */
@Module({})
export class OrdersModule {
  static register(nodes: string[]): DynamicModule {
    return wireLab(OrdersModule, ORDERS_WIRING, nodes);
  }
}
