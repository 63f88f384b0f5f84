import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Consumer, EachBatchPayload } from 'kafkajs';
import { Counter, Gauge } from 'prom-client';
import { CrashHook, CrashSignal, NodeLifecycleService } from '../../../../platform/faults';
import { KafkaService } from '../../../../platform/kafka/kafka.service';
import { STRATEGY_CHANGED, StrategyChangedEvent } from '../../../../platform/strategy';
import { OrdersSettingsService } from '../../application/orders-settings.service';
import { OrdersTopicsService } from '../../application/orders-topics.service';
import { ProcessOrderMessageService } from '../../application/process-order-message.service';
import { CONSUMER_SETTINGS_DEFAULTS, ConsumerSettings, CrashPoint, ORDERS_LAB, ORDERS_NODES, ORDERS_TIMINGS } from '../../orders.config';
import { MODE_GAUGE_VALUE, OrdersMetric } from '../../orders.metrics';
import { OrdersRepository } from '../../persistence/orders.repository';
import { DELIVERY_MODES } from '../../strategies/delivery.port';
import { IdempotencyKey } from '../../strategies/idempotency.port';
import { DeadLetterProducer } from './dead-letter.producer';

const NODE = ORDERS_NODES.consumer;

/**
 * The consumer node's Kafka consumer in group `order-processors`: manual offset commits, the
 * isolation level of the selected processing mode (rebuilt when it changes), reconnection in the
 * background while the broker is away. A crash point stops everything at once: the kafkajs consumer
 * is torn down without committing (a clean LeaveGroup, so the group rebalances at once), the node's
 * port closes, and it comes back after `restart_after_ms` or on POST /admin/labs/orders/nodes/consumer/restart.
 */
@Injectable()
export class OrderConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OrdersConsumer');
  private consumer?: Consumer;
  private builtMode?: string;
  private generation = 0;
  private running = false;
  private shuttingDown = false;
  private retryTimer?: NodeJS.Timeout;
  private retryDelayMs: number = ORDERS_TIMINGS.consumerRetryMinMs;
  private gaugeTimer?: NodeJS.Timeout;
  private restartAfterMs: number = CONSUMER_SETTINGS_DEFAULTS.restart_after_ms;
  private readonly crashHook = new CrashHook<CrashPoint>((point) => this.crashAt(point));
  /** Messages received since this process (node) started or /reset-stats, as the seed counted them. */
  messagesReceived = 0;

  constructor(
    private readonly kafka: KafkaService,
    private readonly topics: OrdersTopicsService,
    private readonly settings: OrdersSettingsService,
    private readonly process: ProcessOrderMessageService,
    private readonly deadLetters: DeadLetterProducer,
    private readonly repository: OrdersRepository,
    private readonly lifecycle: NodeLifecycleService,
    @InjectMetric(OrdersMetric.crashSimulated) private readonly crashes: Counter<string>,
    @InjectMetric(OrdersMetric.consumerLag) private readonly lag: Gauge<string>,
    @InjectMetric(OrdersMetric.currentProcessingMode) private readonly modeGauge: Gauge<string>,
    @InjectMetric(OrdersMetric.idempotencyEnabled) private readonly idempotencyGauge: Gauge<string>,
    @InjectMetric(OrdersMetric.messagesInDatabase) private readonly inDatabase: Gauge<string>,
    @InjectMetric(OrdersMetric.duplicatesDetected) private readonly duplicates: Counter<string>,
    @InjectMetric(OrdersMetric.messagesConsumed) private readonly consumed: Counter<string>,
    @InjectMetric(OrdersMetric.processingErrors) private readonly errors: Counter<string>,
    @InjectMetric(OrdersMetric.messagesProcessed) private readonly processed: Counter<string>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.lifecycle.onCrash(ORDERS_LAB, NODE, () => this.stop(true));
    this.lifecycle.onRestart(ORDERS_LAB, NODE, async () => {
      await this.applySettings().catch(() => undefined);
      this.start(true);
    });
    this.initialiseSeries();
    await this.applySettings().catch(() => undefined);
    this.gaugeTimer = setInterval(() => void this.refreshDatabaseGauge(), ORDERS_TIMINGS.databaseGaugeRefreshMs);
    this.gaugeTimer.unref();
    void this.refreshDatabaseGauge();
    this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    clearInterval(this.gaugeTimer);
    await this.stop(false);
  }

  /** Whether the kafkajs consumer of this generation is running (for /health and tests). */
  get connected(): boolean {
    return this.running && this.consumer !== undefined;
  }

  /** Applies stored settings: arms the one-shot crash point, remembers the restart back-off, sets gauges. */
  async applySettings(): Promise<ConsumerSettings> {
    const [current, processing, idempotency] = await Promise.all([
      this.settings.consumer(),
      this.settings.processing(),
      this.settings.idempotency(),
    ]);
    this.restartAfterMs = current.restart_after_ms;
    if (current.crash_after_messages > 0) this.crashHook.arm(current.crash_point, current.crash_after_messages);
    else this.crashHook.disarm();
    this.modeGauge.set({ service: NODE }, MODE_GAUGE_VALUE[processing.key]);
    this.idempotencyGauge.set({ service: NODE }, idempotency.key === IdempotencyKey.idempotent ? 1 : 0);
    if (this.builtMode !== undefined && processing.key !== this.builtMode && this.running) await this.rebuild();
    return current;
  }

  /** A selection made through /admin/labs takes effect as one made through /config does. */
  @OnEvent(STRATEGY_CHANGED)
  onStrategyChanged(event: StrategyChangedEvent): void {
    if (event.lab === ORDERS_LAB) void this.applySettings().catch(() => undefined);
  }

  /** POST /simulate/crash: the process "dies" 100 ms after answering, wherever it is. */
  scheduleCrash(restartAfterMs?: number): number {
    const after = restartAfterMs ?? this.restartAfterMs;
    setTimeout(() => {
      this.running = false;
      this.crashes.inc({ service: NODE });
      void this.lifecycle.crash(ORDERS_LAB, NODE, 'simulate-crash', after);
    }, 100).unref();
    return after;
  }

  resetCounter(): void {
    this.messagesReceived = 0;
  }

  /** Called by the crash hook at the armed point, synchronously: nothing of this generation runs after it. */
  private crashAt(point: CrashPoint): void {
    this.running = false;
    this.crashes.inc({ service: NODE });
    this.logger.warn(`crash point ${point} reached: the consumer dies before anything after it runs`);
    void this.settings.patchConsumer({ crash_after_messages: 0 }).catch(() => undefined);
    void this.lifecycle.crash(ORDERS_LAB, NODE, point, this.restartAfterMs);
  }

  /** `restarting`: called by the restart hook, while the lifecycle still reports the node down. */
  private start(restarting = false): void {
    if (this.shuttingDown || (!restarting && this.lifecycle.isDown(ORDERS_LAB, NODE))) return;
    const generation = ++this.generation;
    this.running = true;
    // Unknown until connect() reads the selection, so concurrent setting changes do not rebuild twice.
    this.builtMode = undefined;
    this.retryDelayMs = ORDERS_TIMINGS.consumerRetryMinMs;
    void this.attempt(generation);
  }

  private async rebuild(): Promise<void> {
    this.logger.log('processing mode changed: rebuilding the Kafka consumer');
    await this.stop(false);
    this.start();
  }

  /** Tears the consumer down without committing anything (kafkajs commits only what we ask it to). */
  private async stop(crashed: boolean): Promise<void> {
    this.generation++;
    this.running = false;
    clearTimeout(this.retryTimer);
    const consumer = this.consumer;
    this.consumer = undefined;
    if (crashed) this.messagesReceived = 0;
    await consumer?.disconnect().catch(() => undefined);
    if (crashed) await this.deadLetters.close();
  }

  private alive(generation: number): boolean {
    return this.running && this.generation === generation;
  }

  private async attempt(generation: number): Promise<void> {
    if (!this.alive(generation)) return;
    try {
      await this.connect(generation);
      this.retryDelayMs = ORDERS_TIMINGS.consumerRetryMinMs;
    } catch (err) {
      if (!this.alive(generation)) return;
      this.logger.warn(`consumer not started (${(err as Error).message}); retrying in ${this.retryDelayMs} ms`);
      const consumer = this.consumer;
      this.consumer = undefined;
      await consumer?.disconnect().catch(() => undefined);
      if (!this.alive(generation)) return;
      this.retryTimer = setTimeout(() => void this.attempt(generation), this.retryDelayMs);
      this.retryDelayMs = Math.min(this.retryDelayMs * 2, ORDERS_TIMINGS.consumerRetryMaxMs);
    }
  }

  private async connect(generation: number): Promise<void> {
    await this.topics.ensure();
    const { key, strategy } = await this.settings.processing();
    if (!this.alive(generation)) return;
    const consumer = this.kafka.kafka.consumer({
      groupId: this.topics.groupId,
      readUncommitted: !strategy.readCommitted,
      sessionTimeout: ORDERS_TIMINGS.sessionTimeoutMs,
      heartbeatInterval: ORDERS_TIMINGS.heartbeatIntervalMs,
      rebalanceTimeout: ORDERS_TIMINGS.rebalanceTimeoutMs,
      maxWaitTimeInMs: ORDERS_TIMINGS.fetchMaxWaitMs,
      allowAutoTopicCreation: false,
      // kafkajs restarts a crashed consumer by itself, even one torn down a moment before (a
      // disconnect mid-fetch surfaces as a crash): only the current generation may come back.
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2000, restartOnFailure: async () => this.alive(generation) },
    });
    this.consumer = consumer;
    this.builtMode = key;
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart || !this.alive(generation)) return;
      this.logger.warn(`consumer crashed (${event.payload.error.message}); reconnecting`);
      void this.stop(false).then(() => this.start());
    });
    // A fetch holding only transaction markers (or aborted records) never reaches eachBatch; commit past
    // it so the group's lag really reaches 0 once everything visible has been processed.
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      const { batchSize, topic, partition, lastOffset } = event.payload;
      if (batchSize !== 0 || !this.alive(generation)) return;
      this.lag.set({ service: NODE, topic, partition: String(partition) }, 0);
      void consumer.commitOffsets([{ topic, partition, offset: String(Number(lastOffset) + 1) }]).catch(() => undefined);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topics.orders, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: (payload) => this.eachBatch(generation, payload),
    });
    this.logger.log(`consumer running in group ${this.topics.groupId} (${key}, read_committed=${strategy.readCommitted})`);
  }

  private async eachBatch(generation: number, payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary, uncommittedOffsets } = payload;
    const { key } = await this.settings.processing();
    if (this.builtMode !== undefined && key !== this.builtMode) {
      // Selected elsewhere (another instance): rebuild with the new isolation level before reading on.
      if (this.alive(generation)) void this.rebuild();
      return;
    }
    for (const message of batch.messages) {
      if (!this.alive(generation) || !isRunning() || isStale()) return;
      this.messagesReceived++;
      try {
        await this.process.handle(
          { topic: batch.topic, partition: batch.partition, ...message },
          {
            alive: () => this.alive(generation),
            reached: (point) => {
              if (!this.alive(generation)) throw new CrashSignal(point);
              this.crashHook.reached(point);
            },
            commitOffset: async () => {
              if (!this.alive(generation)) throw new CrashSignal('offset-commit');
              resolveOffset(message.offset);
              await commitOffsetsIfNecessary(uncommittedOffsets());
            },
          },
        );
      } catch (err) {
        if (err instanceof CrashSignal) return;
        throw err;
      }
      // The last message's position includes a trailing transaction marker, as resolveOffset does.
      const position = message === batch.messages[batch.messages.length - 1] ? batch.lastOffset() : message.offset;
      this.lag.set(
        { service: NODE, topic: batch.topic, partition: String(batch.partition) },
        Math.max(0, Number(batch.highWatermark) - Number(position) - 1),
      );
      await heartbeat();
    }
  }

  /** Counters exist at 0 from boot, so rates and the dashboard read 0 rather than "no data". */
  private initialiseSeries(): void {
    const topic = this.topics.orders;
    this.crashes.inc({ service: NODE }, 0);
    this.duplicates.inc({ service: NODE, topic }, 0);
    this.consumed.inc({ service: NODE, topic, status: 'received' }, 0);
    for (const errorType of ['simulated', 'processing', 'kafka']) this.errors.inc({ service: NODE, topic, error_type: errorType }, 0);
    for (const mode of DELIVERY_MODES) this.processed.inc({ service: NODE, topic, processing_mode: mode }, 0);
  }

  private async refreshDatabaseGauge(): Promise<void> {
    try {
      this.inDatabase.set({ service: NODE }, await this.repository.countProcessedMessages());
    } catch {
      // the database being away shows in /health; the gauge keeps its last value
    }
  }
}
