import { Injectable } from '@nestjs/common';
import { DependencyHealthService } from '../../../platform/health/dependency-health.service';
import { KafkaService } from '../../../platform/kafka/kafka.service';
import { withTimeout } from '../../../platform/redis/redis.service';
import { withSpan } from '../../../platform/observability/tracing';
import { OrdersTopicsService } from './orders-topics.service';
import { ORDERS_TIMINGS } from '../orders.config';
import { OrdersException, brokerUnavailable } from '../orders.errors';

/** The api node's view of the broker: topics, consumer groups, and the real group's lag (admin API). */
@Injectable()
export class KafkaInspectionService {
  constructor(
    private readonly kafka: KafkaService,
    private readonly topics: OrdersTopicsService,
    private readonly health: DependencyHealthService,
  ) {}

  topicsOverview() {
    return withSpan('get_kafka_topics', {}, () =>
      this.admin(async (admin) => {
        const names = (await admin.listTopics()).filter((t) => !t.startsWith('__') && this.inNamespace(t)).sort();
        const { topics } = await admin.fetchTopicMetadata({ topics: names });
        const out: Record<string, unknown> = {};
        for (const topic of topics) {
          out[topic.name] = {
            partitions: topic.partitions.length,
            partition_info: topic.partitions
              .map((p) => ({ id: p.partitionId, leader: p.leader, replicas: p.replicas, isrs: p.isr }))
              .sort((a, b) => a.id - b.id),
          };
        }
        return { topics: out };
      }),
    );
  }

  consumerGroups() {
    return withSpan('get_consumer_groups', {}, () =>
      this.admin(async (admin) => {
        const ids = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => this.inNamespace(g));
        const cluster = await admin.describeCluster();
        const described = ids.length ? (await admin.describeGroups(ids)).groups : [];
        return {
          consumer_groups: described.map((g) => ({
            id: g.groupId,
            broker_id: cluster.controller ?? cluster.brokers[0]?.nodeId ?? null,
            protocol: g.protocol,
            protocol_type: g.protocolType,
            state: g.state,
            members: g.members.length,
          })),
        };
      }),
    );
  }

  /** Lag of the real group (not a throw-away one): high watermark minus the group's committed offset. */
  lag() {
    return withSpan('get_consumer_lag', {}, () =>
      this.admin(async (admin) => {
        const topic = this.topics.orders;
        const groupId = this.topics.groupId;
        const [watermarks, committed] = await Promise.all([
          admin.fetchTopicOffsets(topic),
          admin.fetchOffsets({ groupId, topics: [topic] }),
        ]);
        const committedBy = new Map(
          (committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]),
        );
        const partitions = watermarks
          .map((w) => {
            const high = Number(w.high);
            const done = committedBy.get(w.partition) ?? -1;
            const start = done >= 0 ? done : Number(w.low);
            return {
              partition: w.partition,
              high_watermark: high,
              committed_offset: done,
              lag: Math.max(0, high - start),
            };
          })
          .sort((a, b) => a.partition - b.partition);
        return { topic, consumer_group: groupId, total_lag: partitions.reduce((sum, p) => sum + p.lag, 0), partitions };
      }),
    );
  }

  private inNamespace(name: string): boolean {
    const prefix = this.kafka.name('');
    return prefix === '' || name.startsWith(prefix);
  }

  private async admin<T>(fn: (admin: Awaited<ReturnType<KafkaService['sharedAdmin']>>) => Promise<T>): Promise<T> {
    const kafka = this.health.status('kafka');
    if (kafka.status === 'down') throw brokerUnavailable(new Error(kafka.error ?? 'broker health check failing'));
    try {
      return await withTimeout(
        (async () => fn(await this.kafka.sharedAdmin()))(),
        ORDERS_TIMINGS.adminTimeoutMs,
        'Kafka admin request',
      );
    } catch (err) {
      if (err instanceof OrdersException) throw err;
      throw brokerUnavailable(err);
    }
  }
}
