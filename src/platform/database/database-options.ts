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
    migrations: [join(labs, '*', 'persistence', 'migrations', '*.{ts,js}'), join(__dirname, '..', '*', 'persistence', 'migrations', '*.{ts,js}')],
    entities: [],
    extra: { max: 2, connectionTimeoutMillis: 5000, application_name: 'labs-migrations' },
    logging: ['error', 'migration'],
  };
}

/** Creates the database if needed and applies every pending migration, each in its own transaction. */
export async function runMigrations(url: string): Promise<void> {
  await ensureDatabase(url);
  const dataSource = new DataSource(dataSourceOptions(url));
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
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
        if (err.code !== '42P04') throw err; // created meanwhile by another process
      });
    }
  } finally {
    await client.end();
  }
}
