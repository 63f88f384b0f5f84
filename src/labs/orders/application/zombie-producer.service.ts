import { Injectable, Logger } from '@nestjs/common';
import type { Producer, ProducerConfig } from 'kafkajs';
import { KafkaService } from '../../../platform/kafka/kafka.service';
import { withTimeout } from '../../../platform/redis/redis.service';
import { ORDERS_TIMINGS } from '../orders.config';
import { OrdersErrorCode, OrdersException } from '../orders.errors';
import { DeliveryMode } from '../strategies/delivery.port';
import { LiveProducer, OrderProducerService } from './order-producer.service';
import { OrdersSettingsService } from './orders-settings.service';
import { ProducerMetricsService } from './producer-metrics.service';
import { OrdersTopicsService } from './orders-topics.service';

/** What one takeover fenced, and what the fenced producer's requests got since. */
export interface FencingRecord {
  transactional_id: string;
  /** The producer the broker fenced (`<transactional id>#<n>`): the zombie. */
  fenced_producer: string;
  /** The producer that initialised the same id after it and took its place. */
  successor: string;
  at: string;
  /** The first error a transaction of the fenced producer got (an in-flight one, else the probe's). */
  first_error: string | null;
  /** Its probe transaction, run after its in-flight ones: the broker's answer. */
  probe_error: string | null;
  /** Orders of POSTs on the fenced producer answered 503 ORDERS.PRODUCER_FENCED. */
  fenced_orders: number;
}

const PROBE_GROUP = 'orders-zombie-probe';
/** The broker's answers to a producer whose epoch is no longer the id's newest. */
const FENCING_ERRORS = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);
/** The takeover waits at most this long for a transaction on the producer it fenced. */
const IN_FLIGHT_WAIT_MS = 1000;
/** Fenced producers remembered (their late failures still answer PRODUCER_FENCED). */
const KEPT = 10;

function errorType(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string') return type;
  }
  return undefined;
}

function unavailable(err: unknown): never {
  if (err instanceof OrdersException) throw err;
  throw new OrdersException(
    OrdersErrorCode.BROKER_UNAVAILABLE,
    `Kafka broker unavailable: ${describe(err)}`,
    'unavailable',
    { reason: describe(err) },
  );
}

const describe = (err: unknown) => `${errorType(err) ?? 'error'}: ${err instanceof Error ? err.message : String(err)}`;

/**
 * The zombie-producer fault (POST :8000/simulate/zombie): a second transactional producer is
 * started with the live producer's transactional id, as a replacement instance would be while the
 * old one still runs (paused by GC, cut off, thought dead). Its InitProducerId bumps the id's
 * epoch; the broker aborts whatever transaction the old producer had open and refuses each of its
 * later requests (INVALID_PRODUCER_EPOCH). The new producer takes the node's slot, so the app
 * recovers by itself; every POST whose transaction was on the fenced producer gets a 503
 * ORDERS.PRODUCER_FENCED and none of its orders is visible to read_committed readers, so a client
 * retry cannot duplicate anything. What is left open: an order whose POST timed out while its
 * group was committing may still have landed (as for any 503 of the producer).
 */
@Injectable()
export class ZombieProducerService {
  private readonly logger = new Logger('OrdersZombie');
  /** Fenced producers of this process → their record; newest last. */
  private readonly records = new Map<Producer, FencingRecord>();
  /** Since the start or the last reset-stats. */
  private counts = { takeovers: 0, fenced_orders: 0 };

  constructor(
    private readonly producer: OrderProducerService,
    private readonly settings: OrdersSettingsService,
    private readonly topics: OrdersTopicsService,
    private readonly kafka: KafkaService,
    private readonly metrics: ProducerMetricsService,
  ) {}

  /** `instance`: whose transactional id to take (default this process's own: a takeover). */
  async simulate(instance?: number) {
    const [{ key, strategy }, producerSettings] = await Promise.all([
      this.settings.delivery(),
      this.settings.producer(),
    ]);
    if (key !== DeliveryMode.ExactlyOnce || !producerSettings.enable_transactions) {
      throw new OrdersException(
        OrdersErrorCode.ZOMBIE_REQUIRES_TRANSACTIONS,
        'The zombie producer needs a transactional producer: exactly-once delivery with enable_transactions on',
        'invalid',
        { delivery_mode: key, enable_transactions: producerSettings.enable_transactions },
      );
    }
    if (instance !== undefined && instance !== this.topics.instance)
      return this.fenceAnotherInstance(instance, strategy);
    const budget = ORDERS_TIMINGS.sendTimeoutMs;
    const takeover = await withTimeout(
      (async () => {
        await this.topics.ensure();
        // The live producer initialised first (kafkajs sends its transactional InitProducerId at its first
        // transaction): one that initialised only after the successor would fence the successor instead.
        // Only when it has no transaction behind it yet, so an initialised one is fenced with its group in flight.
        await this.producer.session(strategy, true, producerSettings.transactional_producers);
        const live = await this.producer.liveTransactional();
        if (live && !live.initialised)
          await live.exclusive(async () => (await live.producer.transaction()).abort()).catch(() => undefined);
        return this.producer.takeOver(async (live) => {
          // Known as fenced before the broker says so: its POSTs that fail from now on answer PRODUCER_FENCED.
          this.remember(live.producer, {
            transactional_id: live.transactionalId,
            fenced_producer: live.label,
            successor: 'starting',
            at: new Date().toISOString(),
            first_error: null,
            probe_error: null,
            fenced_orders: 0,
          });
          const successor = this.kafka.kafka.producer(strategy.producerConfig(live.transactionalId));
          try {
            await successor.connect();
            // InitProducerId under the same transactional id: the epoch goes up, the live producer is fenced.
            await (await successor.transaction()).abort();
            // Until the successor takes the slot, the slot's transactions still run on the fenced producer: wait (up to
            // a second) for the next one, which the broker refuses, so the demo shows a POST answered 503.
            await withTimeout(live.nextTransaction(), IN_FLIGHT_WAIT_MS, 'the next transaction').catch(() => undefined);
            return successor;
          } catch (err) {
            this.records.delete(live.producer);
            await successor.disconnect().catch(() => undefined);
            throw err;
          }
        });
      })(),
      budget,
      'starting the second producer',
    ).catch(unavailable);
    if (!takeover) {
      throw new OrdersException(
        OrdersErrorCode.ZOMBIE_REQUIRES_TRANSACTIONS,
        'No transactional producer is live (the delivery mode just changed?)',
        'invalid',
      );
    }
    const { fenced, successor } = takeover;
    const record = this.records.get(fenced.producer)!;
    record.successor = successor.label;
    this.counts.takeovers += 1;
    this.metrics.producerFenced();
    this.logger.warn(
      `producer ${fenced.label} fenced: ${successor.label} initialised transactional id ${fenced.transactionalId} after it and took over`,
    );
    try {
      record.probe_error = await this.probe(fenced);
      record.first_error ??= record.probe_error;
    } finally {
      void fenced.retire();
    }
    return {
      status: 'fenced',
      ran_on_instance: this.topics.instance,
      ...record,
      message:
        `${successor.label} initialised transactional id ${fenced.transactionalId} after ${fenced.label}, so the broker fenced ${fenced.label}: ` +
        `${record.first_error ?? 'no error (not fenced?)'}. Its in-flight POSTs got 503 ORDERS.PRODUCER_FENCED; new orders go through ${successor.label}.`,
    };
  }

  /**
   * Process mode: the second producer takes another instance's transactional id (two producer
   * processes sharing one id on purpose). It initialises the id — the other instance's producer is
   * fenced from its next request on — and disconnects: the fenced instance sees INVALID_PRODUCER_EPOCH,
   * answers its in-flight POSTs 503 ORDERS.PRODUCER_FENCED, drops its producer and rebuilds it (whose
   * InitProducerId in turn fences this one, already gone). This process's own producer is untouched.
   */
  private async fenceAnotherInstance(instance: number, strategy: { producerConfig: (id?: string) => ProducerConfig }) {
    const transactionalId = this.topics.transactionalIdOf(instance);
    const zombie = this.kafka.kafka.producer(strategy.producerConfig(transactionalId));
    await withTimeout(
      (async () => {
        await zombie.connect();
        await (await zombie.transaction()).abort();
      })(),
      ORDERS_TIMINGS.sendTimeoutMs,
      'initialising the zombie producer',
    )
      .catch(unavailable)
      .finally(() => zombie.disconnect().catch(() => undefined));
    this.counts.takeovers += 1;
    this.metrics.producerFenced();
    const successor = `zombie on instance ${this.topics.instance}`;
    this.logger.warn(
      `${successor} initialised transactional id ${transactionalId}: instance ${instance}'s producer is fenced from its next request on`,
    );
    return {
      status: 'fenced',
      ran_on_instance: this.topics.instance,
      transactional_id: transactionalId,
      fenced_producer: `instance ${instance}'s producer`,
      successor,
      at: new Date().toISOString(),
      first_error: null,
      probe_error: null,
      fenced_orders: 0,
      message:
        `A producer on instance ${this.topics.instance} initialised transactional id ${transactionalId} (instance ${instance}'s) and disconnected: ` +
        `the broker fences instance ${instance}'s producer, whose in-flight POSTs get 503 ORDERS.PRODUCER_FENCED; it rebuilds its producer by itself.`,
    };
  }

  private remember(producer: Producer, record: FencingRecord): void {
    this.records.set(producer, record);
    while (this.records.size > KEPT) this.records.delete(this.records.keys().next().value as Producer);
  }

  /**
   * The fenced producer's next transaction, after its in-flight ones: it only adds a consumer group's
   * offsets (AddOffsetsToTxn, nothing written to a topic) and aborts, so even an unfenced producer
   * would leave no trace. Resolves the broker's error, or null if there was none.
   */
  private async probe(fenced: LiveProducer): Promise<string | null> {
    const attempt = fenced.exclusive(async () => {
      const transaction = await fenced.producer.transaction();
      try {
        await transaction.sendOffsets({
          consumerGroupId: this.kafka.name(PROBE_GROUP),
          topics: [{ topic: this.topics.orders, partitions: [{ partition: 0, offset: '0' }] }],
        });
      } finally {
        if (transaction.isActive()) await transaction.abort().catch(() => undefined);
      }
    });
    return withTimeout(attempt, ORDERS_TIMINGS.sendTimeoutMs, 'the fenced producer probe').then(
      () => null,
      (err: unknown) => describe(err),
    );
  }

  /**
   * The fencing record of a failed producer: one a takeover here fenced (every failure of it is the
   * fencing's doing), or one the broker just called fenced (a producer elsewhere took its id).
   */
  fencingOf(producer: Producer | undefined, err: unknown): FencingRecord | undefined {
    if (!producer) return undefined;
    const known = this.records.get(producer);
    if (known || !FENCING_ERRORS.has(errorType(err) ?? '')) return known;
    const record: FencingRecord = {
      transactional_id: this.producer.labelOf(producer)?.replace(/#\d+$/, '') ?? this.topics.transactionalId,
      fenced_producer: this.producer.labelOf(producer) ?? this.topics.transactionalId,
      successor: 'another producer with the same transactional id',
      at: new Date().toISOString(),
      first_error: null,
      probe_error: null,
      fenced_orders: 0,
    };
    this.remember(producer, record);
    this.logger.warn(
      `producer ${record.fenced_producer} fenced by ${record.successor}; it is rebuilt on the next order`,
    );
    return record;
  }

  /** A POST whose transaction was on a fenced producer: counted, logged, answered 503. */
  fencedError(record: FencingRecord, orders: number, err: unknown): OrdersException {
    const reason = describe(err);
    record.fenced_orders += orders;
    record.first_error ??= reason;
    this.counts.fenced_orders += orders;
    this.metrics.ordersFenced(orders);
    this.logger.warn(`${orders} order(s) refused: producer ${record.fenced_producer} is fenced (${reason})`);
    return new OrdersException(
      OrdersErrorCode.PRODUCER_FENCED,
      `Producer ${record.fenced_producer} was fenced by ${record.successor} (same transactional id); the transaction was aborted, retry`,
      'unavailable',
      {
        transactional_id: record.transactional_id,
        fenced_producer: record.fenced_producer,
        successor: record.successor,
        reason,
      },
    );
  }

  /** For GET /stats: takeovers and fenced orders since the start or the last reset-stats, and the latest takeover. */
  stats() {
    return { ...this.counts, last: [...this.records.values()].pop() ?? null };
  }

  resetStats(): void {
    this.counts = { takeovers: 0, fenced_orders: 0 };
  }
}
