import type { Pool, PoolClient } from 'pg';
import type { DataSource } from 'typeorm';

/** What lab SQL runs on: the pool (autocommit) or one open transaction on a pinned connection. */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** The PostgreSQL backend serving this executor (null for the pool). */
  readonly backendPid: number | null;
}

export type IsolationLevel = 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

/** The `pg` pool under TypeORM's PostgreSQL driver: the same connections, without the ORM in between. */
export function pgPool(dataSource: DataSource): Pool {
  return (dataSource.driver as unknown as { master: Pool }).master;
}

/**
 * Runs `work` in one transaction at `isolation` and commits; rolls back on any error and rethrows
 * it. The level travels with `BEGIN` (one statement), where TypeORM's `transaction(level, …)`
 * sends `START TRANSACTION` and `SET TRANSACTION ISOLATION LEVEL …` as two round trips.
 * A connection whose ROLLBACK failed is destroyed, never returned to the pool.
 */
export async function inTransaction<T>(
  pool: Pool,
  isolation: IsolationLevel,
  work: (sql: SqlExecutor) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // A backend that dies while the connection is checked out (pg_terminate_backend, a failover)
  // emits 'error' on the client between statements; unheard, that event would crash the process.
  const onError = (err: Error) => (broken = err);
  client.on('error', onError);
  try {
    await client.query(`BEGIN ISOLATION LEVEL ${isolation}`);
    const result = await work(executorOn(client));
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/** An executor pinned to one pooled connection. */
export function executorOn(client: PoolClient): SqlExecutor {
  return {
    backendPid: (client as unknown as { processID?: number }).processID ?? null,
    query: async <R>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as R[],
  };
}
