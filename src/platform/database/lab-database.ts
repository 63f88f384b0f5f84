import type { Pool, PoolClient, QueryResult } from 'pg';
import { LabException } from '../http/lab-exception';
import { requestSignal } from '../http/request-context';
import { sendCancelRequest } from './cancel-request';
import { databaseUnavailable, translateDatabaseError } from './database-errors';

/** What lab SQL runs on: the lab's pool (autocommit), one pinned session, or one open transaction. */
export interface SqlExecutor {
  /** Rows of a statement (SELECT, or a write with RETURNING). */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** A write without RETURNING: how many rows it inserted, updated or deleted. */
  execute(sql: string, params?: readonly unknown[]): Promise<number>;
  /** The PostgreSQL backend serving this executor (null for the pool, where each statement may get another). */
  readonly backendPid: number | null;
}

export type IsolationLevel = 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

interface Lease {
  client: PoolClient;
  /** Set when the connection must not go back to the pool (a failed ROLLBACK, a timeout, an abort). */
  broken?: Error;
  /** Rejects the statement in flight on this lease, if any. */
  abort?: (err: Error) => void;
}

/**
 * One lab's PostgreSQL executor over a pool of its own (see DatabasePools): every failure leaves
 * through `translateDatabaseError`, so a lab sees DatabaseExceptions (503 busy, 504 timeout, 409
 * serialization failure...) and never a raw driver error.
 *
 * Work done for an HTTP request stops with it: when the request is abandoned (REQUEST_TIMEOUT_MS
 * answered 504, or the client went away), the statement in flight is cancelled in PostgreSQL, the
 * caller gets REQUEST.ABANDONED at once, and the connection is closed rather than pooled again
 * (so an open transaction rolls back and its locks go). The DB_* timeouts bound the rest: work
 * outside a request (consumers, background loops) and a cancel that does not get through.
 */
export class LabDatabase implements SqlExecutor {
  readonly backendPid = null;
  private readonly leases = new Set<Lease>();

  constructor(
    readonly lab: string,
    private readonly pool: Pool,
    /** Whether PostgreSQL answered the last liveness probes; while it does not, calls fail fast. */
    private readonly reachable: () => boolean,
  ) {}

  query<R = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return this.withLease((_, db) => db.query<R>(sql, params));
  }

  execute(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.withLease((_, db) => db.execute(sql, params));
  }

  /**
   * Runs `work` in one transaction at `isolation` and commits; rolls back on any error and rethrows
   * it (translated). The level travels with `BEGIN` (one statement, one round trip).
   */
  transaction<T>(isolation: IsolationLevel, work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.withLease(async (lease, tx) => {
      await tx.query(`BEGIN ISOLATION LEVEL ${isolation}`);
      try {
        const result = await work(tx);
        await tx.query('COMMIT');
        return result;
      } catch (err) {
        if (!lease.broken) {
          await tx.query('ROLLBACK').catch((rollbackError: Error) => (lease.broken = rollbackError));
        }
        throw err;
      }
    });
  }

  /**
   * Runs `work` on one pinned connection, statement by statement in autocommit (no transaction).
   * After a failure the session may still hold a session-level lock, so its connection is dropped.
   */
  session<T>(work: (db: SqlExecutor) => Promise<T>): Promise<T> {
    return this.withLease(async (lease, db) => {
      try {
        return await work(db);
      } catch (err) {
        lease.broken ??= err instanceof Error ? err : new Error(String(err));
        throw err;
      }
    });
  }

  /** Pool occupancy, for the isolation tests and /health. */
  stats(): { total: number; idle: number; waiting: number } {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  /** Fails every statement in flight at once (PostgreSQL stopped answering) and drops their connections. */
  abortAll(reason: string): void {
    const err = databaseUnavailable(reason);
    for (const lease of this.leases) {
      lease.broken ??= err;
      lease.abort?.(err);
    }
  }

  end(): Promise<void> {
    return this.pool.end();
  }

  private async withLease<T>(work: (lease: Lease, db: SqlExecutor) => Promise<T>): Promise<T> {
    if (!this.reachable()) throw databaseUnavailable('it did not answer the last liveness probes');
    const signal = requestSignal();
    if (signal?.aborted) throw abandoned();
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw translateDatabaseError(err);
    }
    const lease: Lease = { client };
    const onAbort = () => {
      lease.broken ??= abandoned();
      // A statement in flight (a lock wait, a sleep) runs on without a cancel: the server does not
      // notice a closed socket until it next reads. Closing the connection ends the session, so an
      // open transaction rolls back now, even one idle inside a fault's delay.
      if (lease.abort) sendCancelRequest(client);
      void client.end().catch(() => undefined);
      lease.abort?.(lease.broken);
    };
    if (signal?.aborted) lease.broken = abandoned();
    signal?.addEventListener('abort', onAbort, { once: true });
    // The server may end a checked-out connection between statements (idle_in_transaction_session_timeout,
    // a restart): the error arrives as an event, and the next statement fails with it.
    const onError = (err: Error) => {
      lease.broken ??= err;
      lease.abort?.(err);
    };
    client.on('error', onError);
    this.leases.add(lease);
    try {
      return await work(lease, this.pinned(lease));
    } catch (err) {
      throw translateDatabaseError(err);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.leases.delete(lease);
      client.off('error', onError);
      client.release(lease.broken);
    }
  }

  private pinned(lease: Lease): SqlExecutor {
    const run = (sql: string, params: readonly unknown[]) => this.run(lease, sql, params);
    return {
      backendPid: (lease.client as unknown as { processID?: number }).processID ?? null,
      query: async <R>(sql: string, params: readonly unknown[] = []) => (await run(sql, params)).rows as R[],
      execute: async (sql: string, params: readonly unknown[] = []) => (await run(sql, params)).rowCount ?? 0,
    };
  }

  private run(lease: Lease, sql: string, params: readonly unknown[]): Promise<QueryResult> {
    if (lease.broken) return Promise.reject(translateDatabaseError(lease.broken));
    return new Promise<QueryResult>((resolve, reject) => {
      lease.abort = (err) => reject(translateDatabaseError(err));
      lease.client.query(sql, params as unknown[]).then(resolve, (err: Error) => {
        // A client-side timeout leaves the statement running on that connection: never reuse it.
        if (/query read timeout/i.test(err.message)) lease.broken ??= err;
        reject(translateDatabaseError(err));
      });
    }).finally(() => (lease.abort = undefined));
  }
}

function abandoned(): LabException {
  return new LabException(
    'REQUEST.ABANDONED',
    'The request was answered 504 or its client went away; its database work was cancelled',
    'timeout',
  );
}
