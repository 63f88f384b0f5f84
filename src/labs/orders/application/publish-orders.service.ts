import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { delay } from '../../../platform/faults';
import { DependencyHealthService } from '../../../platform/health/dependency-health.service';
import { withTimeout } from '../../../platform/redis/redis.service';
import { currentTraceId, traceHeaders, withSpan } from '../../../platform/observability/tracing';
import { OrderItem, OrderMessage, sameOrderBody, toKafkaMessage } from '../domain/order-message';
import { ORDERS_NODES, ORDERS_TIMINGS } from '../orders.config';
import { OrdersErrorCode, OrdersException, brokerUnavailable, isBrokerUnreachable } from '../orders.errors';
import { OrderProducerService } from './order-producer.service';
import { ProducerMetricsService } from './producer-metrics.service';
import {
  DeliveryMode,
  DeliveryPort,
  ProducerSession,
  PublishOutcome,
  TransactionAbortedError,
} from '../strategies/delivery.port';
import type { GroupLimits } from '../strategies/group-commit';
import { OrdersSettingsService } from './orders-settings.service';
import { OrdersTopicsService } from './orders-topics.service';
import { ZombieProducerService } from './zombie-producer.service';

export interface OrderInput {
  order_id?: string | null;
  customer_id: string;
  items: OrderItem[];
  total_amount: number;
}

interface ActiveDelivery {
  mode: string;
  strategy: DeliveryPort;
  transactional: boolean;
  /** Group commit of single orders (used by transactional delivery only). */
  group: GroupLimits;
  /** Size of the transactional producers' pool. */
  producers: number;
}

const SERVICE = ORDERS_NODES.producer;
const DUPLICATE_COPIES = 3;

const round2 = (ms: number) => Math.round(ms * 100) / 100;

/** Two orders of one batch under one order_id must be the same order: the idempotency key means it. */
function refuseConflictingIds(messages: OrderMessage[]): void {
  const first = new Map<string, OrderMessage>();
  for (const message of messages) {
    const seen = first.get(message.order_id);
    if (seen === undefined) first.set(message.order_id, message);
    else if (!sameOrderBody(seen, message)) {
      throw new OrdersException(
        OrdersErrorCode.CONFLICTING_ORDER_ID,
        `order_id ${message.order_id} appears twice in the batch with different bodies`,
        'conflict',
        { order_id: message.order_id },
      );
    }
  }
}

/** The producer's use cases: one order, an atomic batch, and the same order sent three times. */
@Injectable()
export class PublishOrdersService implements OnApplicationBootstrap {
  constructor(
    private readonly settings: OrdersSettingsService,
    private readonly producer: OrderProducerService,
    private readonly topics: OrdersTopicsService,
    private readonly health: DependencyHealthService,
    private readonly zombie: ZombieProducerService,
    private readonly metrics: ProducerMetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // In the background: a broker that is away must not hold up the boot.
    void this.active()
      .then((delivery) => this.warmUp(delivery))
      .catch(() => undefined);
  }

  async publishOne(input: OrderInput) {
    const orderId = input.order_id || randomUUID();
    return this.producer.singleOrder(() => this.publishSingle(orderId, input));
  }

  private publishSingle(orderId: string, input: OrderInput) {
    return withSpan('produce_order', { order_id: orderId }, async (span) => {
      const started = performance.now();
      const delivery = await this.active();
      span.setAttribute('delivery_mode', delivery.mode);
      const traceId = currentTraceId() ?? null;
      await this.send(delivery, [this.message(orderId, input, delivery.mode, traceId)], { group: delivery.group });
      const latencyMs = performance.now() - started;
      this.metrics.produceLatency(delivery.mode, latencyMs / 1000);
      return {
        status: 'accepted',
        order_id: orderId,
        delivery_mode: delivery.mode,
        trace_id: traceId,
        latency_ms: round2(latencyMs),
      };
    });
  }

  async publishBatch(inputs: OrderInput[], abortAfter?: number) {
    return withSpan('produce_order_batch', { batch_size: inputs.length }, async (span) => {
      const started = performance.now();
      const delivery = await this.active();
      const traceId = currentTraceId() ?? null;
      span.setAttribute('trace_id', traceId ?? '');
      if (delivery.mode !== DeliveryMode.ExactlyOnce) {
        throw new OrdersException(
          OrdersErrorCode.BATCH_REQUIRES_EXACTLY_ONCE,
          'Batch orders require exactly-once delivery mode',
          'invalid',
          { delivery_mode: delivery.mode },
        );
      }
      if (!delivery.transactional) {
        throw new OrdersException(
          OrdersErrorCode.BATCH_REQUIRES_TRANSACTIONS,
          'Batch orders require transactions to be enabled',
          'invalid',
        );
      }
      const messages = inputs.map((input) =>
        this.message(input.order_id || randomUUID(), input, delivery.mode, traceId, { batch: true }),
      );
      refuseConflictingIds(messages);
      const outcome = await this.send(delivery, messages, { abortAfter });
      const latencyMs = round2(performance.now() - started);
      const orderIds = messages.map((m) => m.order_id);
      if (outcome.status === 'aborted') {
        span.setAttribute('aborted', true);
        return {
          status: 'aborted',
          order_ids: orderIds,
          count: 0,
          sent_before_abort: outcome.sentBeforeAbort,
          delivery_mode: delivery.mode,
          trace_id: traceId,
          latency_ms: latencyMs,
        };
      }
      return {
        status: 'committed',
        order_ids: orderIds,
        count: messages.length,
        delivery_mode: delivery.mode,
        trace_id: traceId,
        latency_ms: latencyMs,
      };
    });
  }

  /** The same order (same order_id) sent three times, each copy through the mode's normal path. */
  async simulateDuplicate(input: OrderInput) {
    const orderId = input.order_id || randomUUID();
    return withSpan('simulate_duplicate', { order_id: orderId }, async () => {
      const attempts: Array<{ attempt: number; sent: boolean }> = [];
      for (let attempt = 1; attempt <= DUPLICATE_COPIES; attempt++) {
        const delivery = await this.active();
        const message = this.message(orderId, input, delivery.mode, currentTraceId() ?? null, {
          duplicate_attempt: attempt,
        });
        await this.send(delivery, [message]);
        attempts.push({ attempt, sent: true });
        await delay(100);
      }
      return {
        status: 'duplicates_sent',
        order_id: orderId,
        attempts,
        message: `Order ${orderId} was sent ${DUPLICATE_COPIES} times; GET /stats/duplicates on the api node (port 8003) shows how the consumer treated the copies.`,
      };
    });
  }

  /** Resolved on every call: the delivery strategy and whether it sends inside transactions. */
  async active(): Promise<ActiveDelivery> {
    const [{ key, strategy }, producerSettings] = await Promise.all([
      this.settings.delivery(),
      this.settings.producer(),
    ]);
    this.metrics.deliveryMode(key);
    return {
      mode: key,
      strategy,
      transactional: strategy.usesTransactions(producerSettings.enable_transactions),
      group: {
        lingerMs: producerSettings.transaction_linger_ms,
        maxMessages: producerSettings.max_orders_per_transaction,
        maxBytes: ORDERS_TIMINGS.maxTransactionBytes,
      },
      producers: producerSettings.transactional_producers,
    };
  }

  private message(
    orderId: string,
    input: OrderInput,
    mode: string,
    traceId: string | null,
    extra: Pick<OrderMessage, 'batch' | 'duplicate_attempt'> = {},
  ): OrderMessage {
    return {
      order_id: orderId,
      customer_id: input.customer_id,
      items: input.items.map((i) => ({ name: i.name, quantity: i.quantity, price: i.price })),
      total_amount: input.total_amount,
      timestamp: new Date().toISOString(),
      trace_id: traceId,
      producer: SERVICE,
      delivery_mode: mode,
      ...extra,
    };
  }

  /**
   * Sends through the active strategy within a time budget: a broker that is down or unreachable
   * gives a 503 in seconds, never a hang, and the producer is rebuilt on the next call.
   */
  private async send(
    delivery: ActiveDelivery,
    orders: OrderMessage[],
    options: { abortAfter?: number; group?: GroupLimits } = {},
  ): Promise<PublishOutcome> {
    const mode = delivery.mode;
    if (this.health.status('kafka').status === 'down') {
      this.metrics.ordersProduced(mode, 'error', orders.length);
      throw brokerUnavailable(new Error(this.health.status('kafka').error ?? 'broker health check failing'));
    }
    const headers = traceHeaders();
    const messages = orders.map((o) => toKafkaMessage(o, headers));
    let outcome: PublishOutcome;
    let session: ProducerSession | undefined;
    try {
      outcome = await withTimeout(
        (async () => {
          await this.topics.ensure();
          session = await this.producer.session(delivery.strategy, delivery.transactional, delivery.producers);
          return delivery.strategy.publish(session, { topic: this.topics.orders, messages, ...options });
        })(),
        ORDERS_TIMINGS.sendTimeoutMs,
        'sending to Kafka',
      );
    } catch (err) {
      this.metrics.ordersProduced(mode, 'error', orders.length);
      // The producer that failed, not whichever is current: every POST of a failed group lands here, and
      // one of them must not drop the producer a later request has already rebuilt. (A transactional
      // producer is replaced by its pool instead, leaving the others' transactions in flight alone.)
      const failedOn = err instanceof TransactionAbortedError ? (err.producer ?? session?.producer) : session?.producer;
      const fencing = this.zombie.fencingOf(failedOn, err);
      this.producer.drop(session?.producer);
      if (fencing) throw this.zombie.fencedError(fencing, orders.length, err);
      // A transaction that failed because the broker is gone is an outage, not an abort the broker made.
      if (err instanceof TransactionAbortedError && !isBrokerUnreachable(err.cause)) {
        // Every POST of an aborted group gets the same error: the transaction is counted once.
        if (!this.abortsCounted.has(err)) this.metrics.transactionAborted();
        this.abortsCounted.add(err);
        throw new OrdersException(
          OrdersErrorCode.TRANSACTION_ABORTED,
          `Transaction aborted: ${err.message}`,
          'unavailable',
        );
      }
      throw brokerUnavailable(err);
    }
    switch (outcome.status) {
      case 'committed':
        this.metrics.transactionsCommitted(outcome.transactions, orders.length);
        this.metrics.ordersProduced(mode, 'success', orders.length);
        break;
      case 'acknowledged':
        this.metrics.ordersProduced(mode, 'success', orders.length);
        break;
      case 'unacknowledged':
        this.metrics.ordersProduced(mode, 'sent', orders.length);
        break;
      case 'aborted':
        this.metrics.transactionAborted();
        this.metrics.ordersProduced(mode, 'aborted', outcome.sentBeforeAbort);
        break;
    }
    return outcome;
  }

  /**
   * Orders this producer handed to Kafka since its last stats reset, by outcome (`success`: acked or
   * committed, `sent`: written without waiting for an ack, `aborted`, `error`), read off the
   * `messages_produced_total` counter so the figures always agree with /metrics.
   */
  async producedCounts(): Promise<Record<string, number>> {
    const now = await this.metrics.producedTotals();
    const counts: Record<string, number> = { success: 0, sent: 0, aborted: 0, error: 0 };
    for (const [status, value] of Object.entries(now)) counts[status] = value - (this.producedBaseline[status] ?? 0);
    return counts;
  }

  async resetProducedCounts(): Promise<Record<string, number>> {
    this.producedBaseline = await this.metrics.producedTotals();
    return this.producedCounts();
  }

  private producedBaseline: Record<string, number> = {};
  private readonly abortsCounted = new WeakSet<TransactionAbortedError>();

  /**
   * Producer /config: select the mode, store the producer settings; a mode, transactions or
   * pool-size change rebuilds the producers (the group-commit settings apply from the next order).
   */
  async configure(changes: {
    delivery_mode?: string | null;
    enable_transactions?: boolean | null;
    transaction_linger_ms?: number | null;
    max_orders_per_transaction?: number | null;
    transactional_producers?: number | null;
  }) {
    if (changes.delivery_mode != null) await this.settings.select('delivery', changes.delivery_mode);
    const stored = await this.settings.patchProducer({
      enable_transactions: changes.enable_transactions ?? undefined,
      transaction_linger_ms: changes.transaction_linger_ms ?? undefined,
      max_orders_per_transaction: changes.max_orders_per_transaction ?? undefined,
      transactional_producers: changes.transactional_producers ?? undefined,
    });
    const groupCommitOnly =
      changes.delivery_mode == null &&
      changes.enable_transactions == null &&
      changes.transactional_producers == null &&
      (changes.transaction_linger_ms != null || changes.max_orders_per_transaction != null);
    if (!groupCommitOnly) await this.producer.rebuild();
    const delivery = await this.active();
    await this.warmUp(delivery);
    return {
      delivery_mode: delivery.mode,
      enable_transactions: stored.enable_transactions,
      transaction_linger_ms: stored.transaction_linger_ms,
      max_orders_per_transaction: stored.max_orders_per_transaction,
      transactional_producers: stored.transactional_producers,
    };
  }

  /** Connects the rebuilt producer now, so the next order does not pay for it; a broker that is away only delays that. */
  private async warmUp(delivery: ActiveDelivery): Promise<void> {
    if (this.health.status('kafka').status === 'down') return;
    await withTimeout(
      (async () => {
        await this.topics.ensure();
        await this.producer.session(delivery.strategy, delivery.transactional, delivery.producers);
        await this.producer.connectAll();
      })(),
      ORDERS_TIMINGS.sendTimeoutMs,
      'connecting the producer',
    ).catch(() => this.producer.drop());
  }
}
