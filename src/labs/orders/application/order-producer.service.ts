import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Producer } from 'kafkajs';
import { KafkaService } from '../../../platform/kafka/kafka.service';
import { withTimeout } from '../../../platform/redis/redis.service';
import { OrdersTopicsService } from './orders-topics.service';
import { ORDERS_TIMINGS } from '../orders.config';
import type { DeliveryPort, ProducerSession } from '../strategies/delivery.port';
import { GroupCommit } from '../strategies/group-commit';
import { BuiltProducer, PoolMember, TransactionalProducerPool } from './transactional-producer-pool';

interface Slot {
  fingerprint: string;
  /** Sends outside transactions (plain modes); with transactions on, the pool's first producer. */
  producer: Producer;
  transactional: boolean;
  /** `<transactional id>#3` or `plain#3`: which of this process's producers (the third built) it is. */
  label: string;
  /** Transactional sessions: n producers, one open transaction each. */
  pool?: TransactionalProducerPool;
  connected: Promise<void>;
  groups: GroupCommit;
}

/** A live transactional producer (the pool's first slot), as the zombie demo (zombie-producer.service.ts) sees it. */
export interface LiveProducer {
  producer: Producer;
  label: string;
  transactionalId: string;
  /** A transaction on it has succeeded: it holds its producer id and epoch (kafkajs asks for them at its first transaction). */
  initialised: boolean;
  /** Runs `fn` on its slot once the slot's transactions before are done (one open transaction per producer). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Resolves when its slot begins its next transaction. */
  nextTransaction(): Promise<void>;
  /** Disconnects it after the transactions in flight on it (bounded); it is no longer the live one. */
  retire(): Promise<void>;
}

/**
 * The producer node's Kafka producers, built from the selected delivery strategy's settings: one
 * plain producer, or with transactions a pool of `transactional_producers` (each its own
 * transactional id). When the selection, enable_transactions or the pool size changes, the next
 * send retires the old ones (after their transactions in flight) and builds new ones; a plain
 * producer that failed is dropped and rebuilt, a transactional one is replaced by its pool.
 */
@Injectable()
export class OrderProducerService implements OnApplicationShutdown {
  private readonly logger = new Logger('OrdersProducer');
  private slot?: Slot;
  /** Every producer built here → its label, kept after it is dropped (a fencing error names it). */
  private readonly labels = new WeakMap<Producer, string>();
  private switching: Promise<unknown> = Promise.resolve();
  private built = 0;
  /** Single-order POSTs in flight (from their start to their answer): the adaptive linger of group commit. */
  private singleOrders = 0;

  constructor(
    private readonly kafka: KafkaService,
    private readonly topics: OrdersTopicsService,
  ) {}

  /** Runs one single-order POST, counted while it is in flight (group commit stops waiting once all of them have joined). */
  async singleOrder<T>(fn: () => Promise<T>): Promise<T> {
    this.singleOrders += 1;
    try {
      return await fn();
    } finally {
      this.singleOrders -= 1;
    }
  }

  async session(strategy: DeliveryPort, enableTransactions: boolean, poolSize: number): Promise<ProducerSession> {
    const transactional = strategy.usesTransactions(enableTransactions);
    const fingerprint = `${strategy.mode}/${transactional ? `transactional×${poolSize}` : 'plain'}`;
    // The producers in place already fit: no wait behind a switch (nor behind a zombie takeover, which keeps the pool).
    if (this.slot?.fingerprint === fingerprint) return this.sessionOf(this.slot);
    const next = this.switching.then(async () => {
      if (this.slot?.fingerprint === fingerprint) return this.slot;
      if (this.slot) await this.retire(this.slot);
      const slot = transactional
        ? this.buildPool(strategy, fingerprint, poolSize)
        : this.buildPlain(strategy, fingerprint);
      this.slot = slot;
      this.logger.log(`producer ${slot.label} built for ${fingerprint}`);
      return slot;
    });
    this.switching = next.catch(() => undefined);
    return this.sessionOf(await next);
  }

  private async sessionOf(slot: Slot): Promise<ProducerSession> {
    await slot.connected;
    const pool = slot.pool;
    return {
      producer: slot.producer,
      transactional: slot.transactional,
      exclusive: pool
        ? (fn) => pool.run(fn)
        : () => Promise.reject(new Error('a transaction needs a transactional producer (enable_transactions)')),
      groups: slot.groups,
    };
  }

  /** Connects every producer of the current session (the warm-up after a build). */
  async connectAll(): Promise<void> {
    await this.slot?.connected;
    await this.slot?.pool?.connectAll();
  }

  /**
   * The zombie demo's takeover, on the same queue as every switch: `start` builds and initialises
   * a second producer under the first slot's transactional id (InitProducerId bumps the epoch, so
   * the broker fences the producer in that slot); it takes the slot. The fenced one keeps the
   * transactions it has in flight (they now fail) until the caller retires it; the pool's other
   * slots are not touched. Undefined when no transactional producer is live.
   */
  async takeOver(
    start: (live: LiveProducer) => Promise<Producer>,
  ): Promise<{ fenced: LiveProducer; successor: LiveProducer } | undefined> {
    const next = this.switching.then(async () => {
      const pool = this.slot?.pool;
      if (!pool) return undefined;
      const member = pool.first;
      await member.connected;
      const fenced = this.view(pool, member);
      await pool.takeOver(member, async () => {
        const producer = await start(fenced);
        const label = this.label(member.transactionalId);
        this.labels.set(producer, label);
        return { producer, label };
      });
      return { fenced, successor: this.view(pool, member) };
    });
    this.switching = next.catch(() => undefined);
    return next;
  }

  /** The live transactional producer of the first slot (connected), if any. */
  async liveTransactional(): Promise<LiveProducer | undefined> {
    await this.switching;
    const pool = this.slot?.pool;
    if (!pool) return undefined;
    await pool.first.connected;
    return this.view(pool, pool.first);
  }

  private label(name: string): string {
    this.built += 1;
    return `${name}#${this.built}`;
  }

  private buildPlain(strategy: DeliveryPort, fingerprint: string): Slot {
    const producer = this.kafka.kafka.producer(strategy.producerConfig());
    const slot: Slot = {
      fingerprint,
      producer,
      transactional: false,
      label: this.label('plain'),
      connected: producer.connect(),
      groups: new GroupCommit(
        { run: () => Promise.reject(new Error('group commit needs transactional producers')) },
        () => 0,
      ),
    };
    this.labels.set(producer, slot.label);
    slot.connected.catch(() => this.drop(producer));
    return slot;
  }

  /** `<transactional id>#<n>` of a producer this service built (or took over). */
  labelOf(producer: Producer): string | undefined {
    return this.labels.get(producer);
  }

  private buildPool(strategy: DeliveryPort, fingerprint: string, size: number): Slot {
    const pool = new TransactionalProducerPool(
      this.topics.transactionalIds(size),
      (transactionalId): BuiltProducer => {
        const producer = this.kafka.kafka.producer(strategy.producerConfig(transactionalId));
        const label = this.label(transactionalId);
        this.labels.set(producer, label);
        return { producer, label };
      },
      (replaced, by, err) =>
        this.logger.warn(
          `transactional producer ${replaced} replaced by ${by} after a failed transaction: ${err instanceof Error ? err.message : String(err)}`,
        ),
    );
    // Members connect on their own; a transaction waits for its producer's connection, and fails (503) if it fails.
    return {
      fingerprint,
      producer: pool.first.producer,
      transactional: true,
      label: `${pool.first.label}…×${size}`,
      pool,
      connected: Promise.resolve(),
      groups: new GroupCommit(pool, () => this.singleOrders),
    };
  }

  /** A pool slot's producer as it is now: `exclusive` waits for that slot, `retire` disconnects that producer once the slot is done with it. */
  private view(pool: TransactionalProducerPool, member: PoolMember): LiveProducer {
    const producer = member.producer;
    return {
      producer,
      label: member.label,
      transactionalId: member.transactionalId,
      initialised: member.transacted,
      exclusive: (fn) => pool.runOn(member, () => fn(), producer),
      nextTransaction: () => pool.nextTransaction(member),
      retire: async () => {
        await withTimeout(
          pool.runOn(member, async () => undefined, producer),
          ORDERS_TIMINGS.sendTimeoutMs,
          'transactions in flight',
        ).catch(() => undefined);
        await producer.disconnect().catch(() => undefined);
      },
    };
  }

  /** Forces a rebuild on the next send (a config change, or a producer that failed). */
  async rebuild(): Promise<void> {
    const current = this.slot;
    if (current) await this.retire(current);
  }

  /**
   * Drops a plain producer whose connection failed or timed out; the next send builds a fresh one.
   * Transactional producers are not dropped from here: their pool replaces the one that failed
   * (dropping the session would cut the other producers' transactions in flight).
   */
  drop(producer?: Producer): void {
    const slot = producer ? (this.slot?.producer === producer ? this.slot : undefined) : this.slot;
    if (!slot || slot.pool) return;
    if (this.slot === slot) this.slot = undefined;
    void slot.producer.disconnect().catch(() => undefined);
  }

  private async retire(slot: Slot): Promise<void> {
    if (this.slot === slot) this.slot = undefined;
    if (slot.pool) {
      await withTimeout(slot.pool.drained(), ORDERS_TIMINGS.sendTimeoutMs, 'transactions in flight').catch(
        () => undefined,
      );
      await slot.pool.disconnect();
      return;
    }
    await slot.producer.disconnect().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.slot) await this.retire(this.slot);
  }
}
