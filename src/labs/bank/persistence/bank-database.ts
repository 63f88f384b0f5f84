import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import {
  executorOn,
  inTransaction,
  IsolationLevel,
  pgPool,
  SqlExecutor,
} from '../../../platform/database/sql-transaction';
import { BankErrorCode, BankException } from '../bank.errors';

export type { IsolationLevel, SqlExecutor } from '../../../platform/database/sql-transaction';

export const PgErrorCode = {
  SerializationFailure: '40001',
  DeadlockDetected: '40P01',
  NumericOutOfRange: '22003',
} as const;

export function pgErrorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Plain SQL on the app's PostgreSQL pool (the TypeORM driver's `pg` pool, max 30), with explicit
 * transactions and isolation levels: in this lab the SQL is the lesson, so nothing hides it.
 */
@Injectable()
export class BankDatabase implements SqlExecutor {
  private readonly pool: Pool;
  readonly backendPid = null;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.pool = pgPool(dataSource);
  }

  async query<R = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query(sql, params)).rows as R[];
    } catch (err) {
      throw translate(err);
    }
  }

  /** Runs `work` on one pinned connection, statement by statement in autocommit (no transaction). */
  async session<T>(work: (db: SqlExecutor) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw translate(err);
    }
    let failed: Error | undefined;
    try {
      return await work(executorOn(client));
    } catch (err) {
      failed = err instanceof Error ? err : new Error(String(err));
      throw translate(err);
    } finally {
      // After a failure the session may still hold a session-level lock: drop the connection, never reuse it.
      client.release(failed);
    }
  }

  /** Runs `work` in one transaction at `isolation`; rolls back on any error and rethrows it. */
  async transaction<T>(isolation: IsolationLevel, work: (db: SqlExecutor) => Promise<T>): Promise<T> {
    try {
      return await inTransaction(this.pool, isolation, work);
    } catch (err) {
      throw translate(err);
    }
  }
}

/** Errors a caller can act on become BankExceptions; serialization failures and deadlocks stay raw for retry loops. */
function translate(err: unknown): unknown {
  if (err instanceof BankException) return err;
  if (pgErrorCode(err) === PgErrorCode.NumericOutOfRange) {
    return new BankException(BankErrorCode.BalanceOutOfRange, 'A balance would leave the NUMERIC(18,2) range', 'precondition');
  }
  if (err instanceof Error && /timeout exceeded when trying to connect|too many clients/i.test(err.message)) {
    return new BankException(BankErrorCode.DatabaseBusy, 'No database connection free; retry shortly', 'unavailable');
  }
  return err;
}
