import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../../platform/config/app-config';
import { KafkaService } from '../../../platform/kafka/kafka.service';
import { ORDERS_KAFKA } from '../orders.config';

/** The lab's namespaced Kafka names, and the topics created once per process (again after a failure). */
@Injectable()
export class OrdersTopicsService {
  private ensured?: Promise<void>;

  constructor(
    private readonly kafka: KafkaService,
    private readonly config: AppConfig,
  ) {}

  get orders(): string {
    return this.kafka.name(ORDERS_KAFKA.ordersTopic);
  }

  get results(): string {
    return this.kafka.name(ORDERS_KAFKA.resultsTopic);
  }

  get dlq(): string {
    return this.kafka.name(ORDERS_KAFKA.dlqTopic);
  }

  get groupId(): string {
    return this.kafka.name(ORDERS_KAFKA.groupId);
  }

  /** The first transactional id of this process's producer pool: `producer-1-1` (instance 0), `producer-<n+1>-1` for instance n. */
  get transactionalId(): string {
    return this.transactionalIdOf(this.instance);
  }

  /** This process's producer instance (LAB_INSTANCE; 0 outside process mode). */
  get instance(): number {
    return this.config.env.LAB_INSTANCE;
  }

  /**
   * The transactional id of slot `slot` of producer instance `instance`'s pool: `producer-<instance+1>-<slot>`,
   * so no two producers of any instance share one and fence each other (the zombie demo borrows one on purpose).
   */
  transactionalIdOf(instance: number, slot = 1): string {
    return this.kafka.name(`${ORDERS_KAFKA.transactionalIdPrefix}${instance + 1}-${slot}`);
  }

  /** The transactional ids of this node's pool of `count` producers: `producer-1-1` … `producer-1-<count>`. */
  transactionalIds(count: number): string[] {
    return Array.from({ length: count }, (_, i) => this.transactionalIdOf(this.instance, i + 1));
  }

  /** The broker cluster's id (KRaft or ZooKeeper), read at each call: a broker on fresh data has a new one. */
  async clusterId(): Promise<string> {
    const admin = await this.kafka.sharedAdmin();
    return (await admin.describeCluster()).clusterId;
  }

  ensure(): Promise<void> {
    this.ensured ??= this.kafka
      .ensureTopics([
        { topic: this.orders, numPartitions: ORDERS_KAFKA.ordersPartitions, replicationFactor: 1 },
        { topic: this.results, numPartitions: ORDERS_KAFKA.resultsPartitions, replicationFactor: 1 },
        { topic: this.dlq, numPartitions: ORDERS_KAFKA.dlqPartitions, replicationFactor: 1 },
      ])
      .catch((err: unknown) => {
        this.ensured = undefined;
        throw err;
      });
    return this.ensured;
  }
}
