import { join } from 'node:path';
import { Client } from 'pg';
import type { DataSourceOptions } from 'typeorm';

/** Every lab keeps its entities and migrations in its own persistence/ folder and schema. */
export function dataSourceOptions(url: string): DataSourceOptions {
  const labs = join(__dirname, '..', '..', 'labs');
  return {
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: true,
    migrationsTableName: 'typeorm_migrations',
    migrations: [join(labs, '*', 'persistence', 'migrations', '*.{ts,js}'), join(__dirname, '..', '*', 'persistence', 'migrations', '*.{ts,js}')],
    entities: [join(labs, '*', 'persistence', '*.entity.{ts,js}')],
    extra: { max: 30, connectionTimeoutMillis: 5000 },
    logging: ['error', 'migration'],
  };
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
        if (err.code !== '42P04') throw err; // created meanwhile by another process
      });
    }
  } finally {
    await client.end();
  }
}
