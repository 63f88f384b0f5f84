import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { IHeaders } from 'kafkajs';
import { performance } from 'node:perf_hooks';
import { Counter, Histogram } from 'prom-client';
import { CrashSignal, delay } from '../../../platform/faults';
import { currentTraceId, withRemoteContext, withSpan } from '../../../platform/observability/tracing';
import { OrderMessage, headersToStrings, parseOrderMessage } from '../domain/order-message';
import { DeadLetterProducer } from '../nodes/consumer/dead-letter.producer';
import { CrashPoint, ORDERS_NODES, ORDERS_TIMINGS } from '../orders.config';
import { OrdersMetric } from '../orders.metrics';
import { OrdersRepository } from '../persistence/orders.repository';
import { IdempotencyStrategy } from '../strategies/idempotency.port';
import { OrdersSettingsService } from './orders-settings.service';

export interface DeliveredRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}

/** What the consumer loop provides for one record. */
export interface DeliveryContext {
  commitOffset(): Promise<void>;
  /** A crash point; throws CrashSignal when armed there (or when the node already crashed). */
  reached(point: CrashPoint): void;
  alive(): boolean;
}

export type MessageOutcome = 'applied' | 'duplicate_applied' | 'duplicate_detected' | 'dead_lettered';

class SimulatedFailure extends Error {
  constructor() {
    super('simulated processing failure (failure_rate)');
  }
}

const SERVICE = ORDERS_NODES.consumer;

/**
 * One delivered order: resolve the processing and idempotency strategies, then let the processing
 * strategy order the database write and the offset commit. A failing write is retried and then
 * dead-lettered, never skipped; the consumer's span joins the producer's trace via the headers.
 */
@Injectable()
export class ProcessOrderMessageService {
  constructor(
    private readonly settings: OrdersSettingsService,
    private readonly repository: OrdersRepository,
    private readonly deadLetters: DeadLetterProducer,
    @InjectMetric(OrdersMetric.messagesConsumed) private readonly consumed: Counter<string>,
    @InjectMetric(OrdersMetric.messagesProcessed) private readonly processed: Counter<string>,
    @InjectMetric(OrdersMetric.duplicatesDetected) private readonly duplicates: Counter<string>,
    @InjectMetric(OrdersMetric.processingLatency) private readonly latency: Histogram<string>,
    @InjectMetric(OrdersMetric.processingErrors) private readonly errors: Counter<string>,
    @InjectMetric(OrdersMetric.messageOutcomes) private readonly outcomes: Counter<string>,
  ) {}

  handle(record: DeliveredRecord, context: DeliveryContext): Promise<MessageOutcome> {
    const attributes = { 'kafka.topic': record.topic, 'kafka.partition': record.partition, 'kafka.offset': record.offset };
    return withRemoteContext(headersToStrings(record.headers), () =>
      withSpan('process_message', attributes, async (span) => {
        const started = performance.now();
        this.consumed.inc({ service: SERVICE, topic: record.topic, status: 'received' });
        const [processing, idempotency, settings] = await Promise.all([
          this.settings.processing(),
          this.settings.idempotency(),
          this.settings.consumer(),
        ]);
        span.setAttribute('processing_mode', processing.key);
        const traceId = currentTraceId() ?? null;
        let order: OrderMessage;
        try {
          order = parseOrderMessage(record.value);
        } catch (err) {
          await this.deadLetter(record, (err as Error).message, null, idempotency.key);
          await context.commitOffset();
          return 'dead_lettered';
        }
        span.setAttribute('order_id', order.order_id);
        await this.repository.logEvent(order.order_id, 'received', SERVICE, {
          partition: record.partition,
          offset: record.offset,
          trace_id: traceId,
          processing_mode: processing.key,
          idempotency: idempotency.key,
        });
        const outcome = await processing.strategy.process({
          writeToDatabase: () => this.writeWithRetries(record, order, idempotency.strategy, settings.failure_rate, traceId, context),
          commitOffset: () => context.commitOffset(),
          reached: (point) => context.reached(point),
        });
        this.outcomes.inc({ strategy: idempotency.key, outcome });
        if (outcome === 'applied' || outcome === 'duplicate_applied') {
          this.processed.inc({ service: SERVICE, topic: record.topic, processing_mode: processing.key });
        }
        if (outcome === 'duplicate_detected') {
          span.setAttribute('duplicate', true);
          this.duplicates.inc({ service: SERVICE, topic: record.topic });
        }
        this.latency.observe({ service: SERVICE, topic: record.topic }, (performance.now() - started) / 1000);
        return outcome;
      }),
    );
  }

  private async writeWithRetries(
    record: DeliveredRecord,
    order: OrderMessage,
    strategy: IdempotencyStrategy,
    failureRate: number,
    traceId: string | null,
    context: DeliveryContext,
  ): Promise<MessageOutcome> {
    for (let attempt = 1; ; attempt++) {
      if (!context.alive()) throw new CrashSignal('node-down');
      try {
        const result = await strategy.apply(order, {
          consumerId: SERVICE,
          traceId,
          beforeOrderWrite: () => {
            if (failureRate > 0 && Math.random() < failureRate) throw new SimulatedFailure();
          },
        });
        if (result.status === 'duplicate') return 'duplicate_detected';
        return result.appliedCount > 1 ? 'duplicate_applied' : 'applied';
      } catch (err) {
        const simulated = err instanceof SimulatedFailure;
        const reason = (err as Error).message;
        this.errors.inc({ service: SERVICE, topic: record.topic, error_type: simulated ? 'simulated' : 'processing' });
        await this.repository.logEvent(order.order_id, 'failed', SERVICE, { attempt, error: reason }).catch(() => undefined);
        if (attempt >= ORDERS_TIMINGS.maxProcessingAttempts) {
          await this.deadLetter(record, reason, order.order_id, strategy.key);
          return 'dead_lettered';
        }
        await delay(ORDERS_TIMINGS.retryBackoffMs * attempt);
      }
    }
  }

  private async deadLetter(record: DeliveredRecord, reason: string, orderId: string | null, strategy: string): Promise<void> {
    try {
      await this.deadLetters.send({ ...record, reason });
    } catch (err) {
      this.errors.inc({ service: SERVICE, topic: record.topic, error_type: 'kafka' });
      throw err;
    }
    await this.repository
      .logEvent(orderId ?? `${record.topic}/${record.partition}/${record.offset}`, 'dead_lettered', SERVICE, { reason })
      .catch(() => undefined);
    if (orderId === null) this.outcomes.inc({ strategy, outcome: 'dead_lettered' });
  }
}
