import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Counter, Gauge, Histogram } from 'prom-client';
import { ORDERS_NODES } from '../orders.config';
import { MODE_GAUGE_VALUE, OrdersMetric } from '../orders.metrics';
import { OrdersTopicsService } from './orders-topics.service';

const SERVICE = ORDERS_NODES.producer;

/** What became of orders handed to Kafka: `success` acked or committed, `sent` written unacked. */
export type ProducedStatus = 'success' | 'sent' | 'aborted' | 'error';

/**
 * The producer node's metrics, in one place (the consumer's are in ConsumerMetricsService): the
 * seed's names and labels. Counters exist at 0 from boot, so rates read 0 rather than "no data".
 */
@Injectable()
export class ProducerMetricsService implements OnApplicationBootstrap {
  constructor(
    private readonly topics: OrdersTopicsService,
    @InjectMetric(OrdersMetric.messagesProduced) private readonly produced: Counter<string>,
    @InjectMetric(OrdersMetric.produceLatency) private readonly latency: Histogram<string>,
    @InjectMetric(OrdersMetric.transactions) private readonly transactions: Counter<string>,
    @InjectMetric(OrdersMetric.messagesInTransaction) private readonly inTransaction: Counter<string>,
    @InjectMetric(OrdersMetric.currentDeliveryMode) private readonly modeGauge: Gauge<string>,
    @InjectMetric(OrdersMetric.producersFenced) private readonly fenced: Counter<string>,
    @InjectMetric(OrdersMetric.fencedOrders) private readonly fencedOrders: Counter<string>,
  ) {}

  onApplicationBootstrap(): void {
    for (const status of ['committed', 'aborted']) this.transactions.inc({ service: SERVICE, status }, 0);
    this.inTransaction.inc({ service: SERVICE, topic: this.topics.orders }, 0);
    this.fenced.inc({ service: SERVICE }, 0);
    this.fencedOrders.inc({ service: SERVICE }, 0);
  }

  deliveryMode(mode: string): void {
    this.modeGauge.set({ service: SERVICE }, MODE_GAUGE_VALUE[mode]);
  }

  produceLatency(mode: string, seconds: number): void {
    this.latency.observe({ service: SERVICE, topic: this.topics.orders, delivery_mode: mode }, seconds);
  }

  ordersProduced(mode: string, status: ProducedStatus, orders: number): void {
    this.produced.inc({ service: SERVICE, topic: this.topics.orders, delivery_mode: mode, status }, orders);
  }

  /** `transactions` committed carrying `orders` between them. */
  transactionsCommitted(transactions: number, orders: number): void {
    if (transactions > 0) this.transactions.inc({ service: SERVICE, status: 'committed' }, transactions);
    this.inTransaction.inc({ service: SERVICE, topic: this.topics.orders }, orders);
  }

  transactionAborted(): void {
    this.transactions.inc({ service: SERVICE, status: 'aborted' });
  }

  producerFenced(): void {
    this.fenced.inc({ service: SERVICE });
  }

  ordersFenced(orders: number): void {
    this.fencedOrders.inc({ service: SERVICE }, orders);
  }

  /** `messages_produced_total` of this producer and topic by status, so /stats agrees with /metrics. */
  async producedTotals(): Promise<Record<string, number>> {
    const totals: Record<string, number> = {};
    for (const { labels, value } of (await this.produced.get()).values) {
      if (labels.service !== SERVICE || labels.topic !== this.topics.orders) continue;
      const status = String(labels.status);
      totals[status] = (totals[status] ?? 0) + value;
    }
    return totals;
  }
}
