import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Producer } from 'kafkajs';
import { KafkaService } from '../../../platform/kafka/kafka.service';
import { withTimeout } from '../../../platform/redis/redis.service';
import { OrdersTopicsService } from './orders-topics.service';
import { ORDERS_TIMINGS } from '../orders.config';
import type { DeliveryPort, ProducerSession } from '../strategies/delivery.port';
import { GroupCommit } from '../strategies/group-commit';

interface Slot {
  fingerprint: string;
  producer: Producer;
  transactional: boolean;
  /** `<transactional id>#3`: the id and which of this process's producers (the third built) it is. */
  label: string;
  connected: Promise<void>;
  /** A transaction on it has succeeded (so a transactional producer has its producer id and epoch). */
  transacted: boolean;
  /** Tail of the transaction queue: one open transaction at a time on this producer. */
  queue: Promise<unknown>;
  groups: GroupCommit;
}

/** The live producer, as the zombie demo (zombie-producer.service.ts) sees it. */
export interface LiveProducer {
  producer: Producer;
  label: string;
  transactionalId: string;
  /** A transaction on it has succeeded: it holds its producer id and epoch (kafkajs asks for them at its first transaction). */
  initialised: boolean;
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Disconnects it after the transactions queued on it (bounded); it is no longer the live one. */
  retire(): Promise<void>;
}

function exclusive<T>(slot: Slot, fn: () => Promise<T>): Promise<T> {
  const run = slot.queue.then(fn).then((value) => {
    slot.transacted = true;
    return value;
  });
  slot.queue = run.catch(() => undefined);
  return run;
}

/**
 * The producer node's one Kafka producer, built from the selected delivery strategy's settings.
 * When the selection or enable_transactions changes, the next send retires the old producer
 * (after its queued transactions) and builds a new one; a failed producer is dropped and rebuilt.
 */
@Injectable()
export class OrderProducerService implements OnApplicationShutdown {
  private readonly logger = new Logger('OrdersProducer');
  private slot?: Slot;
  /** Every producer built here → its label, kept after it is dropped (a fencing error names it). */
  private readonly labels = new WeakMap<Producer, string>();
  private switching: Promise<unknown> = Promise.resolve();
  private built = 0;

  constructor(
    private readonly kafka: KafkaService,
    private readonly topics: OrdersTopicsService,
  ) {}

  async session(strategy: DeliveryPort, enableTransactions: boolean): Promise<ProducerSession> {
    const transactional = strategy.usesTransactions(enableTransactions);
    const fingerprint = `${strategy.mode}/${transactional ? 'transactional' : 'plain'}`;
    const next = this.switching.then(async () => {
      if (this.slot?.fingerprint === fingerprint) return this.slot;
      if (this.slot) await this.retire(this.slot);
      const producer = this.kafka.kafka.producer(
        strategy.producerConfig(transactional ? this.topics.transactionalId : undefined),
      );
      const slot = this.install(fingerprint, producer, transactional, producer.connect());
      slot.connected.catch(() => this.drop(producer));
      this.logger.log(`producer ${slot.label} built for ${fingerprint}`);
      return slot;
    });
    this.switching = next.catch(() => undefined);
    const slot = await next;
    await slot.connected;
    return {
      producer: slot.producer,
      transactional: slot.transactional,
      exclusive: (fn) => exclusive(slot, fn),
      groups: slot.groups,
    };
  }

  /**
   * The zombie demo's takeover, on the same queue as every switch: `start` builds and initialises
   * a second producer under the live transactional producer's id (InitProducerId bumps the epoch, so
   * the broker fences the live one); it takes the slot. The fenced one keeps its queue (whose
   * transactions now fail) until the caller retires it. Undefined when no transactional producer is live.
   */
  async takeOver(start: (live: LiveProducer) => Promise<Producer>): Promise<{ fenced: LiveProducer; successor: LiveProducer } | undefined> {
    const next = this.switching.then(async () => {
      const live = this.slot;
      if (!live?.transactional) return undefined;
      await live.connected;
      const producer = await start(this.view(live));
      const successor = this.install(live.fingerprint, producer, true, Promise.resolve());
      successor.transacted = true; // `start` initialised it
      return { fenced: this.view(live), successor: this.view(successor) };
    });
    this.switching = next.catch(() => undefined);
    return next;
  }

  /** The live transactional producer (connected), if any. */
  async liveTransactional(): Promise<LiveProducer | undefined> {
    await this.switching;
    const live = this.slot;
    if (!live?.transactional) return undefined;
    await live.connected;
    return this.view(live);
  }

  private install(fingerprint: string, producer: Producer, transactional: boolean, connected: Promise<void>): Slot {
    this.built += 1;
    const slot: Slot = {
      fingerprint,
      producer,
      transactional,
      label: `${this.topics.transactionalId}#${this.built}`,
      connected,
      transacted: false,
      queue: Promise.resolve(),
      groups: new GroupCommit((fn) => exclusive(slot, fn)),
    };
    this.slot = slot;
    this.labels.set(producer, slot.label);
    return slot;
  }

  /** `<transactional id>#<n>` of a producer this service built. */
  labelOf(producer: Producer): string | undefined {
    return this.labels.get(producer);
  }

  private view(slot: Slot): LiveProducer {
    return {
      producer: slot.producer,
      label: slot.label,
      transactionalId: this.topics.transactionalId,
      initialised: slot.transacted,
      exclusive: (fn) => exclusive(slot, fn),
      retire: () => this.retire(slot),
    };
  }

  /** Forces a rebuild on the next send (a config change, or a producer that failed). */
  async rebuild(): Promise<void> {
    const current = this.slot;
    if (current) await this.retire(current);
  }

  /** Drops a producer whose connection failed or timed out; the next send builds a fresh one. */
  drop(producer?: Producer): void {
    const slot = producer ? (this.slot?.producer === producer ? this.slot : undefined) : this.slot;
    if (!slot) return;
    if (this.slot === slot) this.slot = undefined;
    void slot.producer.disconnect().catch(() => undefined);
  }

  private async retire(slot: Slot): Promise<void> {
    if (this.slot === slot) this.slot = undefined;
    await withTimeout(slot.queue, ORDERS_TIMINGS.sendTimeoutMs, 'queued transactions').catch(() => undefined);
    await slot.producer.disconnect().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.slot) await this.retire(this.slot);
  }
}
