import { Injectable } from '@nestjs/common';
import { LabDatabase, SqlExecutor } from '../../../platform/database/lab-database';

export interface AccountRow {
  id: string;
  balance: string;
}

export interface TransferLogRow {
  id: string;
  createdAt: Date;
  fromAccount: string;
  toAccount: string;
  amount: string;
  fromBalanceBefore: string;
  fromBalanceAfter: string;
  toBalanceBefore: string;
  toBalanceAfter: string;
  status: string;
  strategy: string;
  attempts: number;
  threadId: string;
  durationMs: number;
}

export interface LedgerRow {
  id: string;
  balance: string;
  opening_balance: string;
  credits: string;
  debits: string;
}

export interface InvariantsSnapshot {
  accounts: LedgerRow[];
  raceHits: number;
  transfers: Record<string, number>;
}

/**
 * Transfers hold this advisory lock SHARED around their writes (to the commit, or to the end of the
 * vulnerable strategy's autocommit statements); reset holds it EXCLUSIVE. So a reset waits for
 * in-flight writes to finish, and no transfer can have its debit before a reset and its credit after it.
 */
const RESET_LOCK_KEY = 2_100_021;

const LOG_COLUMNS = `id, created_at AS "createdAt", from_account AS "fromAccount", to_account AS "toAccount",
  amount, from_balance_before AS "fromBalanceBefore", from_balance_after AS "fromBalanceAfter",
  to_balance_before AS "toBalanceBefore", to_balance_after AS "toBalanceAfter", status, strategy, attempts,
  thread_id AS "threadId", duration_ms AS "durationMs"`;

@Injectable()
export class BankRepository {
  constructor(private readonly db: LabDatabase) {}

  listAccounts(): Promise<AccountRow[]> {
    return this.db.query<AccountRow>('SELECT id, balance FROM bank.accounts ORDER BY id');
  }

  async findAccount(id: string): Promise<AccountRow | undefined> {
    const rows = await this.db.query<AccountRow>('SELECT id, balance FROM bank.accounts WHERE id = $1', [id]);
    return rows[0];
  }

  /** The ids among `ids` that exist. */
  async existingIds(ids: string[]): Promise<Set<string>> {
    const rows = await this.db.query<{ id: string }>('SELECT id FROM bank.accounts WHERE id = ANY($1)', [ids]);
    return new Set(rows.map((r) => r.id));
  }

  /** See RESET_LOCK_KEY: call first in a transaction that writes balances. */
  async blockResetUntilCommit(tx: SqlExecutor): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock_shared($1)', [RESET_LOCK_KEY]);
  }

  /**
   * The same guard for writes that run without a transaction: the lock is held by the session
   * (pinned connection) until `work` ends, and is freed with the connection if that breaks.
   */
  async blockResetDuring<T>(session: SqlExecutor, work: () => Promise<T>): Promise<T> {
    await session.query('SELECT pg_advisory_lock_shared($1)', [RESET_LOCK_KEY]);
    try {
      return await work();
    } finally {
      await session.query('SELECT pg_advisory_unlock_shared($1)', [RESET_LOCK_KEY]);
    }
  }

  async recordTransfer(executor: SqlExecutor, row: TransferLogRow): Promise<void> {
    await executor.execute(
      `INSERT INTO bank.transfers (id, created_at, from_account, to_account, amount, from_balance_before,
         from_balance_after, to_balance_before, to_balance_after, status, strategy, attempts, thread_id, duration_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        row.id,
        row.createdAt,
        row.fromAccount,
        row.toAccount,
        row.amount,
        row.fromBalanceBefore,
        row.fromBalanceAfter,
        row.toBalanceBefore,
        row.toBalanceAfter,
        row.status,
        row.strategy,
        row.attempts,
        row.threadId,
        row.durationMs,
      ],
    );
  }

  /** The last `limit` log rows, oldest first (the seed's order). */
  recentTransfers(limit: number): Promise<TransferLogRow[]> {
    return this.db.query<TransferLogRow>(
      `SELECT * FROM (SELECT seq, ${LOG_COLUMNS} FROM bank.transfers ORDER BY seq DESC LIMIT $1) recent ORDER BY seq`,
      [limit],
    );
  }

  /** Opening balances back and the log emptied, atomically, once no transfer is between its writes. */
  reset(): Promise<AccountRow[]> {
    return this.db.transaction('READ COMMITTED', async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [RESET_LOCK_KEY]);
      await tx.query('DELETE FROM bank.transfers');
      return tx
        .query<AccountRow>('UPDATE bank.accounts SET balance = opening_balance RETURNING id, balance')
        .then((rows) => rows.sort((a, b) => a.id.localeCompare(b.id)));
    });
  }

  /** Balances, the ledger sums of the log and the race hits, all from one snapshot. */
  invariantsSnapshot(): Promise<InvariantsSnapshot> {
    return this.db.transaction('REPEATABLE READ', async (tx) => {
      const accounts = await tx.query<LedgerRow>(
        `SELECT a.id, a.balance, a.opening_balance,
                COALESCE((SELECT sum(amount) FROM bank.transfers t WHERE t.to_account = a.id AND t.status = 'success'), 0) AS credits,
                COALESCE((SELECT sum(amount) FROM bank.transfers t WHERE t.from_account = a.id AND t.status = 'success'), 0) AS debits
           FROM bank.accounts a ORDER BY a.id`,
      );
      const [hits] = await tx.query<{ n: string }>(
        `SELECT count(*) AS n FROM bank.transfers WHERE status = 'success' AND from_balance_after < 0`,
      );
      const byStatus = await tx.query<{ status: string; n: string }>(
        'SELECT status, count(*) AS n FROM bank.transfers GROUP BY status ORDER BY status',
      );
      return {
        accounts,
        raceHits: Number(hits.n),
        transfers: Object.fromEntries(byStatus.map((r) => [r.status, Number(r.n)])),
      };
    });
  }
}
