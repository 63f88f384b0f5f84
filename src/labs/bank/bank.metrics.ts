import { makeCounterProvider, makeGaugeProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';

/** The seed's metric names (service label `bank-api`), plus a `strategy` label where it tells something. */
export const BankMetric = {
  Transfers: 'transfers_total',
  RaceConditionHits: 'race_condition_hits_total',
  DoubleSpends: 'double_spend_detected_total',
  AccountBalance: 'account_balance',
  TransferDuration: 'transfer_duration_seconds',
  ConcurrentTransfers: 'concurrent_transfers',
  BarrierWaiting: 'barrier_waiting_count',
  Retries: 'bank_transfer_retries_total',
  BarrierWaits: 'bank_barrier_waits_total',
} as const;

export const bankMetricProviders = [
  makeCounterProvider({
    name: BankMetric.Transfers,
    help: 'Transfers by outcome (success, insufficient_funds, conflict) and transfer strategy',
    labelNames: ['status', 'strategy', 'service'],
  }),
  makeCounterProvider({
    name: BankMetric.RaceConditionHits,
    help: 'Transfers that drove a balance negative (a check-then-act race was lost)',
    labelNames: ['strategy', 'service'],
  }),
  makeCounterProvider({
    name: BankMetric.DoubleSpends,
    help: 'Double spends detected (a negative balance after a successful transfer)',
    labelNames: ['strategy', 'service'],
  }),
  makeGaugeProvider({
    name: BankMetric.AccountBalance,
    help: 'Current balance per account',
    labelNames: ['account_id', 'service'],
  }),
  makeHistogramProvider({
    name: BankMetric.TransferDuration,
    help: 'Transfer duration in seconds, every outcome',
    labelNames: ['strategy', 'service'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0],
  }),
  makeGaugeProvider({
    name: BankMetric.ConcurrentTransfers,
    help: 'Transfers in flight',
    labelNames: ['service'],
  }),
  makeGaugeProvider({
    name: BankMetric.BarrierWaiting,
    help: 'Transfers waiting at the barrier',
    labelNames: ['service'],
  }),
  makeCounterProvider({
    name: BankMetric.Retries,
    help: 'Transaction retries of a transfer, by strategy and reason (serialization_failure, deadlock)',
    labelNames: ['strategy', 'reason', 'service'],
  }),
  makeCounterProvider({
    name: BankMetric.BarrierWaits,
    help: 'Barrier waits by outcome (released, timed_out, cancelled)',
    labelNames: ['outcome', 'service'],
  }),
];
