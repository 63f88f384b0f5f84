import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { Consumer, EachBatchPayload } from 'kafkajs';
import { CrashHook, CrashSignal, NodeLifecycleService } from '../../../platform/faults';
import { KafkaService } from '../../../platform/kafka/kafka.service';
import {
  SETTINGS_CHANGED,
  STRATEGY_CHANGED,
  SettingsChangedEvent,
  StrategyChangedEvent,
} from '../../../platform/strategy';
import { ConsumerMetricsService } from './consumer-metrics.service';
import { OrdersSettingsService } from './orders-settings.service';
import { OrdersTopicsService } from './orders-topics.service';
import { BatchModes, DeliveredRecord, ProcessOrderBatchService } from './process-order-batch.service';
import {
  CONSUMER_SETTINGS_DEFAULTS,
  ConsumerSettings,
  CrashPoint,
  ORDERS_LAB,
  ORDERS_NODES,
  ORDERS_TIMINGS,
} from '../orders.config';
import { IdempotencyKey } from '../strategies/idempotency.port';
import { DeadLetterProducer } from './dead-letter.producer';
import { StoredPositions, TakeTurns } from './stored-positions';

const NODE = ORDERS_NODES.consumer;

/**
 * The consumer node's lifecycle: one kafkajs consumer in group `order-processors` per generation,
 * built with the selected processing strategy's own consumer settings (its isolation level) and
 * rebuilt when the selection changes; reconnection in the background while the broker is away;
 * crash and restart. What a batch does is ProcessOrderBatchService's; the metrics are
 * ConsumerMetricsService's.
 *
 * A crash point stops everything at once: the kafkajs consumer is torn down without committing (a
 * clean LeaveGroup, so the group rebalances at once), the node's port closes, and it comes back
 * after `restart_after_ms` or on POST /admin/labs/orders/nodes/consumer/restart. When the position
 * lives in PostgreSQL (exactly-once + idempotent), the first batch of a partition after an
 * assignment that starts behind it seeks there instead of processing the records again.
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
  private restartAfterMs: number = CONSUMER_SETTINGS_DEFAULTS.restart_after_ms;
  private readonly crashHook = new CrashHook<CrashPoint>((point) => this.crashAt(point));
  private readonly armedBatches = new TakeTurns();
  /** The fired crash point's reset in Redis (crash_after_messages back to 0). */
  private disarming: Promise<void> = Promise.resolve();
  /** Messages received since this process (node) started or /reset-stats, as the seed counted them. */
  messagesReceived = 0;

  constructor(
    private readonly kafka: KafkaService,
    private readonly topics: OrdersTopicsService,
    private readonly settings: OrdersSettingsService,
    private readonly batches: ProcessOrderBatchService,
    private readonly positions: StoredPositions,
    private readonly deadLetters: DeadLetterProducer,
    private readonly lifecycle: NodeLifecycleService,
    private readonly metrics: ConsumerMetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.lifecycle.onCrash(ORDERS_LAB, NODE, () => this.stop(true));
    this.lifecycle.onRestart(ORDERS_LAB, NODE, async () => {
      // A crash point is one-shot: the restart must not read it back before its reset reached Redis.
      await this.disarming;
      await this.applySettings().catch(() => undefined);
      this.start(true);
    });
    await this.applySettings().catch(() => undefined);
    this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
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
    this.metrics.modes(processing.key, idempotency.key === IdempotencyKey.Idempotent);
    if (this.builtMode !== undefined && processing.key !== this.builtMode && this.running) await this.rebuild();
    return current;
  }

  /**
   * A selection made through /admin/labs takes effect as one made through /config does, and so
   * does one made in another process: every instance of the consumer hears every change (SettingsBus)
   * and applies it, whichever one the balancer handed the request to.
   */
  @OnEvent(STRATEGY_CHANGED)
  onStrategyChanged(event: StrategyChangedEvent): void {
    if (event.lab === ORDERS_LAB) void this.applySettings().catch(() => undefined);
  }

  @OnEvent(SETTINGS_CHANGED)
  onSettingsChanged(event: SettingsChangedEvent): void {
    if (event.lab === ORDERS_LAB || event.lab === '*') void this.applySettings().catch(() => undefined);
  }

  /** What this process has applied: the mode its running Kafka consumer was built with (null while it (re)connects), the armed crash point. */
  inEffect(): { processing_mode: string | null; crash_armed: { point: string; after_messages: number } | null } {
    const armed = this.crashHook.armedAt;
    return {
      processing_mode: this.running && this.consumer ? (this.builtMode ?? null) : null,
      crash_armed: armed ? { point: armed.point, after_messages: armed.afterHits } : null,
    };
  }

  /** POST /simulate/crash: the process "dies" 100 ms after answering, wherever it is. */
  scheduleCrash(restartAfterMs?: number): number {
    const after = restartAfterMs ?? this.restartAfterMs;
    setTimeout(() => {
      this.running = false;
      this.metrics.crashed();
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
    this.metrics.crashed();
    this.logger.warn(`crash point ${point} reached: the consumer dies before anything after it runs`);
    this.disarming = this.settings.patchConsumer({ crash_after_messages: 0 }).then(
      () => undefined,
      () => undefined,
    );
    void this.lifecycle.crash(ORDERS_LAB, NODE, point, this.restartAfterMs, this.disarming);
  }

  /** `restarting`: called by the restart hook, while the lifecycle still reports the node down. */
  private start(restarting = false): void {
    if (this.shuttingDown || (!restarting && this.lifecycle.isDown(ORDERS_LAB, NODE))) return;
    const generation = ++this.generation;
    this.running = true;
    this.positions.forget();
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
    // Stored with the positions in PostgreSQL: a broker on fresh data starts its offsets again at 0.
    const clusterId = await this.topics.clusterId();
    if (!this.alive(generation)) return;
    const consumer = this.kafka.kafka.consumer({
      ...strategy.consumerConfig,
      groupId: this.topics.groupId,
      sessionTimeout: ORDERS_TIMINGS.sessionTimeoutMs,
      heartbeatInterval: ORDERS_TIMINGS.heartbeatIntervalMs,
      rebalanceTimeout: ORDERS_TIMINGS.rebalanceTimeoutMs,
      maxWaitTimeInMs: ORDERS_TIMINGS.fetchMaxWaitMs,
      allowAutoTopicCreation: false,
      // kafkajs restarts a crashed consumer by itself, even one torn down a moment before (a
      // disconnect mid-fetch surfaces as a crash): only the current generation may come back.
      retry: {
        retries: 5,
        initialRetryTime: 200,
        maxRetryTime: 2000,
        restartOnFailure: async () => this.alive(generation),
      },
    });
    this.consumer = consumer;
    this.builtMode = key;
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart || !this.alive(generation)) return;
      this.logger.warn(`consumer crashed (${event.payload.error.message}); reconnecting`);
      void this.stop(false).then(() => this.start());
    });
    // A new assignment: positions stored by another member (or before a crash) are read again.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (this.alive(generation)) this.positions.forget();
    });
    // A fetch holding only transaction markers (or aborted records) never reaches eachBatch; commit past
    // it so the group's lag really reaches 0 once everything visible has been processed.
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      const { batchSize, topic, partition, lastOffset } = event.payload;
      if (batchSize !== 0 || !this.alive(generation)) return;
      this.metrics.lagOf(topic, partition, 0);
      void consumer
        .commitOffsets([{ topic, partition, offset: String(Number(lastOffset) + 1) }])
        .catch(() => undefined);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topics.orders, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: (payload) => this.eachBatch(generation, consumer, clusterId, payload),
    });
    this.logger.log(
      `consumer running in group ${this.topics.groupId} (${key}, read_committed=${!strategy.consumerConfig.readUncommitted})`,
    );
  }

  private async eachBatch(
    generation: number,
    consumer: Consumer,
    clusterId: string,
    payload: EachBatchPayload,
  ): Promise<void> {
    const { batch, isRunning, isStale } = payload;
    if (batch.messages.length === 0) return;
    const modes = await this.batches.modes();
    if (this.builtMode !== undefined && modes.processing.key !== this.builtMode) {
      // Selected elsewhere (another instance): rebuild with the new isolation level before reading on.
      if (this.alive(generation)) void this.rebuild();
      return;
    }
    if (!this.alive(generation) || !isRunning() || isStale()) return;
    if (modes.positionInDatabase && (await this.positions.seekIfBehind(consumer, clusterId, payload))) return;
    const records: DeliveredRecord[] = batch.messages.map((m) => ({
      topic: batch.topic,
      partition: batch.partition,
      ...m,
    }));
    const run = () => this.processBatch(generation, clusterId, payload, records, modes);
    try {
      // While a crash point is armed, batches of different partitions take turns, so it fires at exactly the N-th record.
      await (this.crashHook.armedAt ? this.armedBatches.run(run) : run());
    } catch (err) {
      if (err instanceof CrashSignal) return;
      throw err;
    }
  }

  private processBatch(
    generation: number,
    clusterId: string,
    payload: EachBatchPayload,
    records: DeliveredRecord[],
    modes: BatchModes,
  ) {
    const { batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary, uncommittedOffsets } =
      payload;
    const last = records[records.length - 1];
    return this.batches.handle(records, modes, {
      clusterId,
      alive: () => this.alive(generation) && isRunning() && !isStale(),
      recordsUntilCrash: () => {
        const armed = this.crashHook.armedAt;
        return armed ? armed.afterHits - armed.hits : undefined;
      },
      reached: (point) => {
        if (!this.alive(generation)) throw new CrashSignal(point);
        this.crashHook.reached(point);
      },
      commitOffset: async (record) => {
        if (!this.alive(generation)) throw new CrashSignal('offset-commit');
        resolveOffset(record.offset);
        await commitOffsetsIfNecessary(uncommittedOffsets());
      },
      chunkDone: async (record) => {
        // The last record's position includes a trailing transaction marker, as resolveOffset does.
        const position = record === last ? batch.lastOffset() : record.offset;
        this.metrics.lagOf(batch.topic, batch.partition, Number(batch.highWatermark) - Number(position) - 1);
        await heartbeat();
      },
      received: (count: number) => {
        this.messagesReceived += count;
      },
    });
  }
}
