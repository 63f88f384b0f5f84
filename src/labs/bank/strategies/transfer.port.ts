import type { Cents } from '../domain/money';
import type { TransactionRetryReason } from '../../../platform/database/database-errors';
import type { SqlExecutor } from '../../../platform/database/lab-database';

export const TRANSFER_PORT = 'transfer';

/** Keys of the `transfer` port; the lowercase values are what the admin API and the `strategy` label show. */
export const TransferStrategyKey = {
  Vulnerable: 'vulnerable',
  Safe: 'safe',
  ReadCommitted: 'read-committed',
  RepeatableRead: 'repeatable-read',
  Serializable: 'serializable',
} as const;
export type TransferStrategyKey = (typeof TransferStrategyKey)[keyof typeof TransferStrategyKey];

export const ISOLATION_KEYS = [
  TransferStrategyKey.ReadCommitted,
  TransferStrategyKey.RepeatableRead,
  TransferStrategyKey.Serializable,
] as const;

export type TransferStatus = 'success' | 'failed_insufficient_funds' | 'failed_conflict';

export interface TransferBalances {
  fromBefore: Cents;
  fromAfter: Cents;
  toBefore: Cents;
  toAfter: Cents;
}

export type TransferOutcome =
  | { status: 'success'; balances: TransferBalances; attempts: number }
  | { status: 'failed_insufficient_funds'; balances: TransferBalances; attempts: number }
  | { status: 'failed_conflict'; balances: TransferBalances; attempts: number; reason: string };

/** The debug knobs that widen the race window; the use case reads them once per transfer. */
export interface RaceWindow {
  /** Whether the debug delay is on, i.e. whether anything is awaited between a check and its act. */
  readonly delayed: boolean;
  /** Whether the delay or the barrier is on: anything that lets a transfer act on what it read earlier. */
  readonly widened: boolean;
  /** Waits at the barrier when it is enabled, so concurrent transfers leave it together. */
  barrier(): Promise<void>;
  /** The debug delay when it is enabled (`step` names the await point in the logs). */
  delay(step: string): Promise<void>;
  /** A 1 ms await between debit and credit, as the seed had. */
  pause(): Promise<void>;
}

export interface TransferCommand {
  from: string;
  to: string;
  amount: Cents;
  window: RaceWindow;
  /** Writes the transaction-log row on `db`: inside the strategy's transaction when it has one. */
  journal(db: SqlExecutor, outcome: TransferOutcome): Promise<void>;
  /** Counts a retry of the transaction (serialization failure or deadlock). */
  retried(reason: RetryReason): void;
}

export type RetryReason = TransactionRetryReason;

/** Moves `amount` from one account to another; each implementation leaves a different window open. */
export abstract class TransferPort {
  abstract transfer(command: TransferCommand): Promise<TransferOutcome>;
}
