import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Producer } from 'kafkajs';
import { KafkaService } from '../../../platform/kafka/kafka.service';
import { withTimeout } from '../../../platform/redis/redis.service';
import { OrdersTopicsService } from './orders-topics.service';
import { ORDERS_TIMINGS } from '../orders.config';
import type { DeliveryStrategy, ProducerSession } from '../strategies/delivery.port';
import { GroupCommit } from '../strategies/group-commit';

interface Slot {
  fingerprint: string;
  producer: Producer;
  transactional: boolean;
  connected: Promise<void>;
  /** Tail of the transaction queue: one open transaction at a time on this producer. */
  queue: Promise<unknown>;
  groups: GroupCommit;
}

function exclusive<T>(slot: Slot, fn: () => Promise<T>): Promise<T> {
  const run = slot.queue.then(fn);
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
  private switching: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly kafka: KafkaService,
    private readonly topics: OrdersTopicsService,
  ) {}

  async session(strategy: DeliveryStrategy, enableTransactions: boolean): Promise<ProducerSession> {
    const transactional = strategy.usesTransactions(enableTransactions);
    const fingerprint = `${strategy.mode}/${transactional ? 'transactional' : 'plain'}`;
    const next = this.switching.then(async () => {
      if (this.slot?.fingerprint === fingerprint) return this.slot;
      if (this.slot) await this.retire(this.slot);
      const producer = this.kafka.kafka.producer(
        strategy.producerConfig(transactional ? this.topics.transactionalId : undefined),
      );
      const slot: Slot = {
        fingerprint,
        producer,
        transactional,
        connected: producer.connect(),
        queue: Promise.resolve(),
        groups: new GroupCommit((fn) => exclusive(slot, fn)),
      };
      slot.connected.catch(() => this.drop(producer));
      this.slot = slot;
      this.logger.log(`producer built for ${fingerprint}`);
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
