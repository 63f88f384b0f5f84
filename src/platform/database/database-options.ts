import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';

/**
 * TypeORM only runs the labs' migrations (each lab keeps them in its own persistence/migrations
 * folder and schema); every query of the labs goes through their LabDatabase. No entities.
 */
export function dataSourceOptions(url: string): DataSourceOptions {
  const labs = join(__dirname, '..', '..', 'labs');
  return {
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: 'typeorm_migrations',
    migrations: [
      join(labs, '*', 'persistence', 'migrations', '*.{ts,js}'),
      join(__dirname, '..', '*', 'persistence', 'migrations', '*.{ts,js}'),
    ],
    entities: [],
    extra: { max: 2, connectionTimeoutMillis: 5000, application_name: 'labs-migrations' },
    logging: ['error', 'migration'],
  };
}

/** The advisory lock every process takes around its migrations: N processes booting together migrate once. */
export const MIGRATIONS_LOCK_KEY = 'labs-migrations';

/**
 * Creates the database if needed and applies every pending migration, each in its own transaction,
 * under a PostgreSQL advisory lock (held by a session of its own, waited on at most 60 s): the
 * first process to boot migrates, the others wait and then find nothing pending.
 */
export async function runMigrations(url: string): Promise<void> {
  await ensureDatabase(url);
  const lock = new Client({
    connectionString: url,
    connectionTimeoutMillis: 5000,
    statement_timeout: 60000,
    application_name: 'labs-migrations-lock',
  });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock(hashtext($1))', [MIGRATIONS_LOCK_KEY]);
    const dataSource = new DataSource(dataSourceOptions(url));
    await dataSource.initialize();
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await dataSource.destroy();
    }
  } finally {
    // Ending the session releases the lock too, should the unlock itself fail.
    await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [MIGRATIONS_LOCK_KEY]).catch(() => undefined);
    await lock.end().catch(() => undefined);
  }
}

/** Creates the database named in `url` when it does not exist yet (connecting to `postgres`). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((err: { code?: string }) => {
        // Created meanwhile by another process: 42P04, or 23505 when both inserted into pg_database at once.
        if (err.code !== '42P04' && err.code !== '23505') throw err;
      });
    }
  } finally {
    await client.end();
  }
}
