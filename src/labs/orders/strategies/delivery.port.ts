import type { Message, Producer, ProducerConfig } from 'kafkajs';
import type { GroupCommit, GroupLimits } from './group-commit';

export const DeliveryMode = {
  AtMostOnce: 'at-most-once',
  AtLeastOnce: 'at-least-once',
  ExactlyOnce: 'exactly-once',
} as const;
export type DeliveryMode = (typeof DeliveryMode)[keyof typeof DeliveryMode];
export const DELIVERY_MODES = Object.values(DeliveryMode);

export const DELIVERY_PORT = 'delivery';

/** The producers a strategy sends through; built from the strategy's own settings. */
export interface ProducerSession {
  /** Sends outside transactions (with transactions on: the pool's first producer; use `exclusive` instead). */
  producer: Producer;
  /** Built with transactional ids: every send must happen inside a transaction, through `exclusive` or `groups`. */
  transactional: boolean;
  /** Runs `fn` on a transactional producer with no open transaction (one open transaction per producer), waiting for one if all are busy. */
  exclusive<T>(fn: (producer: Producer) => Promise<T>): Promise<T>;
  /** The node's group commit (transactions shared by concurrent single orders), on the same producers. */
  groups: GroupCommit;
}

export interface PublishRequest {
  topic: string;
  messages: Message[];
  /** Transactional batches only: send this many messages, then abort instead of committing. */
  abortAfter?: number;
  /** A single order that may share a transaction with concurrent ones (group commit); absent or linger 0: its own transaction. */
  group?: GroupLimits;
}

export type PublishOutcome =
  | { status: 'acknowledged' }
  | { status: 'unacknowledged' }
  /** `transactions`: 1 when this request counts the Kafka transaction (alone, or first of its group), else 0. */
  | { status: 'committed'; transactions: number }
  | { status: 'aborted'; sentBeforeAbort: number };

/** A Kafka transaction that failed and was aborted; nothing of it is visible to read_committed readers. */
export class TransactionAbortedError extends Error {
  constructor(
    override readonly cause: unknown,
    /** The producer the transaction ran on (one of the node's pool). */
    readonly producer?: Producer,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'TransactionAbortedError';
  }
}

/**
 * How the producer hands orders to Kafka: the producer settings of the mode (acks, retries,
 * idempotence, transactional id) and the send path. Selected at runtime; a change rebuilds the producer.
 */
export abstract class DeliveryPort {
  abstract readonly mode: DeliveryMode;

  /** Whether this mode sends inside Kafka transactions when the producer's enable_transactions is on. */
  abstract usesTransactions(enableTransactions: boolean): boolean;

  /** kafkajs producer settings; `transactionalId` is set when `usesTransactions` said so. */
  abstract producerConfig(transactionalId?: string): ProducerConfig;

  abstract publish(session: ProducerSession, request: PublishRequest): Promise<PublishOutcome>;
}
