import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Counter, Gauge, Histogram } from 'prom-client';
import { ORDERS_NODES, ORDERS_TIMINGS } from '../orders.config';
import { MODE_GAUGE_VALUE, OrdersMetric } from '../orders.metrics';
import { OrdersRepository } from '../persistence/orders.repository';
import { DELIVERY_MODES } from '../strategies/delivery.port';
import { OrdersTopicsService } from './orders-topics.service';

const SERVICE = ORDERS_NODES.consumer;

export type MessageOutcome = 'applied' | 'duplicate_applied' | 'duplicate_detected' | 'dead_lettered';
export type ProcessingErrorType = 'simulated' | 'processing' | 'kafka';

/**
 * The consumer node's metrics, in one place: the seed's names and labels. Counters exist at 0 from
 * boot, so rates and the dashboard read 0 rather than "no data"; the rows-in-database gauge is
 * refreshed in the background.
 */
@Injectable()
export class ConsumerMetricsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private gaugeTimer?: NodeJS.Timeout;

  constructor(
    private readonly topics: OrdersTopicsService,
    private readonly repository: OrdersRepository,
    @InjectMetric(OrdersMetric.crashSimulated) private readonly crashes: Counter<string>,
    @InjectMetric(OrdersMetric.consumerLag) private readonly lag: Gauge<string>,
    @InjectMetric(OrdersMetric.currentProcessingMode) private readonly modeGauge: Gauge<string>,
    @InjectMetric(OrdersMetric.idempotencyEnabled) private readonly idempotencyGauge: Gauge<string>,
    @InjectMetric(OrdersMetric.messagesInDatabase) private readonly inDatabase: Gauge<string>,
    @InjectMetric(OrdersMetric.duplicatesDetected) private readonly duplicates: Counter<string>,
    @InjectMetric(OrdersMetric.messagesConsumed) private readonly consumed: Counter<string>,
    @InjectMetric(OrdersMetric.processingErrors) private readonly errors: Counter<string>,
    @InjectMetric(OrdersMetric.messagesProcessed) private readonly processed: Counter<string>,
    @InjectMetric(OrdersMetric.processingLatency) private readonly latency: Histogram<string>,
    @InjectMetric(OrdersMetric.messageOutcomes) private readonly outcomes: Counter<string>,
  ) {}

  onApplicationBootstrap(): void {
    const topic = this.topics.orders;
    this.crashes.inc({ service: SERVICE }, 0);
    this.duplicates.inc({ service: SERVICE, topic }, 0);
    this.consumed.inc({ service: SERVICE, topic, status: 'received' }, 0);
    for (const errorType of ['simulated', 'processing', 'kafka'])
      this.errors.inc({ service: SERVICE, topic, error_type: errorType }, 0);
    for (const mode of DELIVERY_MODES) this.processed.inc({ service: SERVICE, topic, processing_mode: mode }, 0);
    this.gaugeTimer = setInterval(() => void this.refreshDatabaseGauge(), ORDERS_TIMINGS.databaseGaugeRefreshMs);
    this.gaugeTimer.unref();
    void this.refreshDatabaseGauge();
  }

  onApplicationShutdown(): void {
    clearInterval(this.gaugeTimer);
  }

  crashed(): void {
    this.crashes.inc({ service: SERVICE });
  }

  modes(processingMode: string, idempotent: boolean): void {
    this.modeGauge.set({ service: SERVICE }, MODE_GAUGE_VALUE[processingMode]);
    this.idempotencyGauge.set({ service: SERVICE }, idempotent ? 1 : 0);
  }

  lagOf(topic: string, partition: number, lag: number): void {
    this.lag.set({ service: SERVICE, topic, partition: String(partition) }, Math.max(0, lag));
  }

  received(topic: string, count: number): void {
    this.consumed.inc({ service: SERVICE, topic, status: 'received' }, count);
  }

  error(topic: string, type: ProcessingErrorType, count = 1): void {
    this.errors.inc({ service: SERVICE, topic, error_type: type }, count);
  }

  /** One record's outcome; `seconds` is the time its chunk took from fetch to offset. */
  outcome(topic: string, processingMode: string, strategy: string, outcome: MessageOutcome, seconds: number): void {
    this.outcomes.inc({ strategy, outcome });
    if (outcome === 'applied' || outcome === 'duplicate_applied')
      this.processed.inc({ service: SERVICE, topic, processing_mode: processingMode });
    if (outcome === 'duplicate_detected') this.duplicates.inc({ service: SERVICE, topic });
    this.latency.observe({ service: SERVICE, topic }, seconds);
  }

  private async refreshDatabaseGauge(): Promise<void> {
    try {
      this.inDatabase.set({ service: SERVICE }, await this.repository.countProcessedMessages());
    } catch {
      // the database being away shows in /health; the gauge keeps its last value
    }
  }
}
