import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { BankException } from '../bank.errors';
import { BankMetrics } from '../bank.metrics';
import { AccountRow, BankRepository } from '../persistence/bank.repository';
import { InvariantsReport, checkInvariants } from './bank-invariants';
import { toAmount, toCents } from '../domain/money';
import { TransactionLogView, toTransactionLogView } from './transfer-view';

export interface AccountView {
  id: string;
  balance: number;
}

/** Accounts, the transaction log, reset and the invariants check. */
@Injectable()
export class BankAccountsService implements OnApplicationBootstrap {
  constructor(
    private readonly accounts: BankRepository,
    private readonly metrics: BankMetrics,
  ) {}

  /**
   * `account_balance` is read from PostgreSQL when Prometheus scrapes: setting it from each
   * transfer's own result would let the last transfer to finish win, and after a race the gauge
   * would show a balance the account no longer has.
   */
  async onApplicationBootstrap(): Promise<void> {
    this.metrics.readBalancesOnScrape(async () => {
      this.publish(await this.accounts.listAccounts().catch(() => []));
    });
    this.publish(await this.accounts.listAccounts());
  }

  async list(): Promise<AccountView[]> {
    return (await this.accounts.listAccounts()).map(view);
  }

  async get(id: string): Promise<AccountView> {
    const account = await this.accounts.findAccount(id);
    if (!account) throw BankException.accountNotFound(id);
    return view(account);
  }

  async reset(): Promise<AccountView[]> {
    const accounts = await this.accounts.reset();
    this.publish(accounts);
    return accounts.map(view);
  }

  async recent(limit: number): Promise<TransactionLogView[]> {
    return (await this.accounts.recentTransfers(limit)).map((row) => toTransactionLogView(row));
  }

  async invariants(): Promise<InvariantsReport> {
    const snapshot = await this.accounts.invariantsSnapshot();
    return checkInvariants(
      snapshot.accounts.map((a) => ({
        id: a.id,
        balance: toCents(a.balance),
        opening: toCents(a.opening_balance),
        credits: toCents(a.credits),
        debits: toCents(a.debits),
      })),
      snapshot.raceHits,
      snapshot.transfers,
    );
  }

  private publish(accounts: AccountRow[]): void {
    for (const account of accounts) {
      this.metrics.balance(account.id, toAmount(toCents(account.balance)));
    }
  }
}

function view(account: AccountRow): AccountView {
  return { id: account.id, balance: toAmount(toCents(account.balance)) };
}
