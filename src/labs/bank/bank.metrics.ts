import { Injectable } from '@nestjs/common';
import {
  InjectMetric,
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
} from '@willsoto/nestjs-prometheus';
import { Counter, Gauge, Histogram } from 'prom-client';
import { BANK_SERVICE } from './bank.config';

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

/** The lab's metrics behind intent-level methods (every series carries the seed's `service` label). */
@Injectable()
export class BankMetrics {
  private readonly service = BANK_SERVICE;

  constructor(
    @InjectMetric(BankMetric.Transfers) private readonly transfers: Counter<string>,
    @InjectMetric(BankMetric.RaceConditionHits) private readonly raceHits: Counter<string>,
    @InjectMetric(BankMetric.DoubleSpends) private readonly doubleSpends: Counter<string>,
    @InjectMetric(BankMetric.AccountBalance) private readonly balances: Gauge<string>,
    @InjectMetric(BankMetric.TransferDuration) private readonly duration: Histogram<string>,
    @InjectMetric(BankMetric.ConcurrentTransfers) private readonly inFlight: Gauge<string>,
    @InjectMetric(BankMetric.BarrierWaiting) private readonly barrierWaiting: Gauge<string>,
    @InjectMetric(BankMetric.Retries) private readonly retries: Counter<string>,
    @InjectMetric(BankMetric.BarrierWaits) private readonly barrierWaits: Counter<string>,
  ) {}

  /** A finished transfer: its outcome label and duration, by strategy. */
  transfer(strategy: string, status: string, seconds: number): void {
    this.duration.observe({ strategy, service: this.service }, seconds);
    this.transfers.inc({ status, strategy, service: this.service });
  }

  /** A successful transfer left the source negative: the check-then-act race was lost. */
  doubleSpend(strategy: string): void {
    this.raceHits.inc({ strategy, service: this.service });
    this.doubleSpends.inc({ strategy, service: this.service });
  }

  retried(strategy: string, reason: string): void {
    this.retries.inc({ strategy, reason, service: this.service });
  }

  /** `concurrent_transfers`: 0 at boot, then +1 / -1 around each transfer. */
  transfersInFlight(change: 0 | 1 | -1): void {
    if (change === 0) this.inFlight.set({ service: this.service }, 0);
    else this.inFlight.inc({ service: this.service }, change);
  }

  barrierWaitingNow(count: number): void {
    this.barrierWaiting.set({ service: this.service }, count);
  }

  barrierWait(outcome: string): void {
    this.barrierWaits.inc({ outcome, service: this.service });
  }

  balance(accountId: string, amount: number): void {
    this.balances.set({ account_id: accountId, service: this.service }, amount);
  }

  /** Each scrape first runs `refresh` (which calls `balance`), so `account_balance` is read from its source of truth. */
  readBalancesOnScrape(refresh: () => Promise<void>): void {
    (this.balances as Gauge<string> & { collect?: () => Promise<void> }).collect = refresh;
  }
}
