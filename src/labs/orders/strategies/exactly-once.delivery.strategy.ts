import { Injectable } from '@nestjs/common';
import type { Message, Producer, ProducerConfig } from 'kafkajs';
import { LabStrategy } from '../../../platform/strategy';
import { ORDERS_LAB, ORDERS_TIMINGS } from '../orders.config';
import {
  DELIVERY_PORT,
  DeliveryMode,
  DeliveryPort,
  ProducerSession,
  PublishOutcome,
  PublishRequest,
  TransactionAbortedError,
} from './delivery.port';

/**
 * Idempotent producer (producer id + sequence numbers: the broker drops a retried duplicate) and,
 * with transactions on, transactional ids: begin, send, commit. A batch is all or nothing; an
 * aborted one stays in the log but read_committed consumers never see it. One producer has one
 * open transaction at a time, so the node keeps a small pool of them (`transactional_producers`,
 * each its own transactional id, fenced on its own) and a request waits for a free one. With
 * `transaction_linger_ms` > 0, concurrent single orders share one transaction (group commit, in
 * group-commit.ts): each is answered after that COMMIT, and every order of an aborted one gets the
 * error (a 503). What is left open: the consumer side — a crash between its database write and its
 * offset commit redelivers, unless the consumer keeps its position with the write (exactly-once
 * processing).
 */
@Injectable()
@LabStrategy({
  lab: ORDERS_LAB,
  port: DELIVERY_PORT,
  key: DeliveryMode.ExactlyOnce,
  isDefault: true,
  description: 'idempotent producer + transactional id; batches are atomic; duplicates need an idempotent consumer',
})
export class ExactlyOnceDeliveryStrategy extends DeliveryPort {
  readonly mode = DeliveryMode.ExactlyOnce;

  usesTransactions(enableTransactions: boolean): boolean {
    return enableTransactions;
  }

  producerConfig(transactionalId?: string): ProducerConfig {
    return {
      idempotent: true,
      maxInFlightRequests: 1,
      transactionalId,
      transactionTimeout: ORDERS_TIMINGS.transactionTimeoutMs,
      // Bounded (kafkajs would retry forever): past it the send fails and the caller gets a 503 (about 5 s in
      // all). It starts short because the usual retry here is CONCURRENT_TRANSACTIONS right after a commit,
      // while the broker still writes the previous transaction's markers: a few ms, not 100.
      retry: { retries: 10, initialRetryTime: 20, maxRetryTime: 1000 },
      allowAutoTopicCreation: false,
    };
  }

  async publish(session: ProducerSession, request: PublishRequest): Promise<PublishOutcome> {
    const { topic, messages, abortAfter } = request;
    if (!session.transactional) {
      await session.producer.send({ topic, messages, acks: -1 });
      return { status: 'acknowledged' };
    }
    if (messages.length === 0 && abortAfter === undefined) return { status: 'committed', transactions: 0 };
    if (request.group && request.group.lingerMs > 0 && abortAfter === undefined) {
      const leader = await session.groups.add(messages, request.group, (producer, grouped) =>
        this.commitTransaction(producer, topic, grouped),
      );
      return { status: 'committed', transactions: leader ? 1 : 0 };
    }
    return session.exclusive(async (producer) => {
      const transaction = await producer.transaction();
      try {
        if (abortAfter !== undefined) {
          const sent = messages.slice(0, abortAfter);
          if (sent.length > 0) await transaction.send({ topic, messages: sent, acks: -1 });
          await transaction.abort();
          return { status: 'aborted', sentBeforeAbort: sent.length };
        }
        await transaction.send({ topic, messages, acks: -1 });
        await transaction.commit();
        return { status: 'committed', transactions: 1 };
      } catch (err) {
        if (transaction.isActive()) await transaction.abort().catch(() => undefined);
        throw new TransactionAbortedError(err, producer);
      }
    });
  }

  /**
   * One group's transaction, on the producer it was given: begin, send all, commit; abort on any
   * error. Three broker round trips (AddPartitionsToTxn, Produce, EndTxn; kafkajs also looks the
   * coordinator up before the first and the last), while the next group forms and may already be
   * sending on another producer of the pool.
   */
  private async commitTransaction(producer: Producer, topic: string, messages: Message[]): Promise<void> {
    const transaction = await producer.transaction();
    try {
      await transaction.send({ topic, messages, acks: -1 });
      await transaction.commit();
    } catch (err) {
      if (transaction.isActive()) await transaction.abort().catch(() => undefined);
      throw new TransactionAbortedError(err, producer);
    }
  }
}
