import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { withSpan } from '../../../platform/observability/tracing';
import { StrategySelectionService } from '../../../platform/strategy';
import { BANK_LAB, BANK_SERVICE } from '../bank.config';
import { BankErrorCode, BankException } from '../bank.errors';
import { BankMetrics } from '../bank.metrics';
import { BankRepository, TransferLogRow } from '../persistence/bank.repository';
import type { SqlExecutor } from '../../../platform/database/lab-database';
import {
  TRANSFER_PORT,
  TransferCommand,
  TransferOutcome,
  TransferPort,
  TransferStrategyKey,
} from '../strategies/transfer.port';
import { toAmount, toCents, toDecimal } from '../domain/money';
import { RaceWindowService } from './race-window.service';
import { TransactionLogView, toTransactionLogView } from './transfer-view';

export interface TransferRequest {
  from: string;
  to: string;
  /** A positive amount with at most two decimals (validated at the edge). */
  amount: number;
}

const STATUS_LABEL: Record<TransferOutcome['status'], string> = {
  success: 'success',
  failed_insufficient_funds: 'insufficient_funds',
  failed_conflict: 'conflict',
};

const THREAD_ID = `pid-${process.pid}`;

/** POST /transfer: validates, resolves the active transfer strategy, and reports the outcome. */
@Injectable()
export class TransferMoneyService implements OnModuleInit {
  private readonly logger = new Logger(BANK_SERVICE);

  constructor(
    private readonly accounts: BankRepository,
    private readonly selection: StrategySelectionService,
    private readonly raceWindow: RaceWindowService,
    private readonly metrics: BankMetrics,
  ) {}

  onModuleInit(): void {
    this.metrics.transfersInFlight(0);
  }

  async transfer(request: TransferRequest): Promise<TransactionLogView> {
    const amount = toCents(request.amount);
    if (amount <= 0 || toAmount(amount) !== request.amount) {
      throw new BankException(
        BankErrorCode.InvalidAmount,
        'amount must be a positive number with at most two decimals',
        'invalid',
        {
          amount: request.amount,
        },
      );
    }
    if (request.from === request.to) {
      throw new BankException(BankErrorCode.SelfTransfer, 'from_account and to_account must differ', 'invalid', {
        account_id: request.from,
      });
    }
    const [found, { key, strategy }, settings] = await Promise.all([
      this.accounts.existingIds([request.from, request.to]),
      this.selection.resolve<TransferPort>(BANK_LAB, TRANSFER_PORT),
      this.raceWindow.settings(),
    ]);
    for (const id of [request.from, request.to]) if (!found.has(id)) throw BankException.accountNotFound(id);
    const id = randomUUID().slice(0, 8);
    const startedAt = new Date();
    const started = performance.now();
    const opened = this.raceWindow.open(settings, id);
    this.metrics.transfersInFlight(1);
    try {
      return await withSpan(
        'transfer',
        {
          'transfer.id': id,
          'transfer.from_account': request.from,
          'transfer.to_account': request.to,
          'transfer.amount': toAmount(amount),
          'transfer.thread_id': THREAD_ID,
          'transfer.strategy': key,
          'transfer.using_locks': key === TransferStrategyKey.Safe,
        },
        async (span) => {
          let journaled: TransferLogRow | undefined;
          const command: TransferCommand = {
            from: request.from,
            to: request.to,
            amount,
            window: opened.window,
            retried: (reason) => this.metrics.retried(key, reason),
            journal: async (db: SqlExecutor, outcome: TransferOutcome) => {
              const row = this.logRow(id, startedAt, started, request, amount, key, outcome, db);
              await this.accounts.recordTransfer(db, row);
              journaled = row;
            },
          };
          const outcome = await strategy.transfer(command);
          const { balances } = outcome;
          const seconds = (performance.now() - started) / 1000;
          this.metrics.transfer(key, STATUS_LABEL[outcome.status], seconds);
          span.setAttributes({
            'transfer.status': outcome.status,
            'transfer.attempts': outcome.attempts,
            'transfer.from_balance_before': toAmount(balances.fromBefore),
            'transfer.from_balance_after': toAmount(balances.fromAfter),
            'transfer.to_balance_after': toAmount(balances.toAfter),
            'transfer.duration_ms': seconds * 1000,
          });
          const barrier = opened.barrier();
          if (barrier) span.setAttribute('transfer.barrier', barrier.status);
          if (outcome.status === 'success') {
            if (balances.fromAfter < 0) {
              this.metrics.doubleSpend(key);
              span.setAttributes({
                'race_condition.detected': true,
                'race_condition.negative_balance': toAmount(balances.fromAfter),
              });
              this.logger.warn(
                `RACE CONDITION DETECTED! ${request.from} balance is ${toAmount(balances.fromAfter)} after transfer ${id} (strategy ${key})`,
              );
            }
          }
          return toTransactionLogView(journaled!, barrier);
        },
      );
    } finally {
      this.metrics.transfersInFlight(-1);
    }
  }

  private logRow(
    id: string,
    startedAt: Date,
    started: number,
    request: TransferRequest,
    amount: number,
    strategy: string,
    outcome: TransferOutcome,
    db: SqlExecutor,
  ): TransferLogRow {
    const { balances } = outcome;
    return {
      id,
      createdAt: startedAt,
      fromAccount: request.from,
      toAccount: request.to,
      amount: toDecimal(amount),
      fromBalanceBefore: toDecimal(balances.fromBefore),
      fromBalanceAfter: toDecimal(balances.fromAfter),
      toBalanceBefore: toDecimal(balances.toBefore),
      toBalanceAfter: toDecimal(balances.toAfter),
      status: outcome.status,
      strategy,
      attempts: outcome.attempts,
      threadId: db.backendPid === null ? THREAD_ID : `${THREAD_ID}/pg-${db.backendPid}`,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    };
  }
}
