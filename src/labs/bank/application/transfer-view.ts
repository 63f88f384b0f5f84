import type { TransferLogRow } from '../persistence/bank.repository';
import type { BarrierReport } from './race-window.service';
import { toAmount, toCents } from '../domain/money';

/** The seed's TransactionLog, key for key, plus the strategy, the attempts and the barrier outcome. */
export interface TransactionLogView {
  id: string;
  timestamp: string;
  from_account: string;
  to_account: string;
  amount: number;
  from_balance_before: number;
  from_balance_after: number;
  to_balance_before: number;
  to_balance_after: number;
  status: string;
  thread_id: string;
  duration_ms: number;
  strategy: string;
  attempts: number;
  barrier?: BarrierReport;
}

const money = (value: string) => toAmount(toCents(value));

export function toTransactionLogView(row: TransferLogRow, barrier?: BarrierReport): TransactionLogView {
  const view: TransactionLogView = {
    id: row.id,
    timestamp: new Date(row.createdAt).toISOString(),
    from_account: row.fromAccount,
    to_account: row.toAccount,
    amount: money(row.amount),
    from_balance_before: money(row.fromBalanceBefore),
    from_balance_after: money(row.fromBalanceAfter),
    to_balance_before: money(row.toBalanceBefore),
    to_balance_after: money(row.toBalanceAfter),
    status: row.status,
    thread_id: row.threadId,
    duration_ms: Number(row.durationMs),
    strategy: row.strategy,
    attempts: Number(row.attempts),
  };
  return barrier ? { ...view, barrier } : view;
}
