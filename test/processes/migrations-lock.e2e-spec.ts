import { Client } from 'pg';
import { Supervised, startSupervisor } from './process-kit';

/**
 * Three booking processes and a bank process booting together on a database that does not exist
 * yet: one creates it, the advisory lock lets one migrate at a time, and every migration is applied once.
 */
describe('migrations under an advisory lock (LAB_PROCESSES=1, a fresh database)', () => {
  const base = new URL(process.env.DATABASE_URL!);
  const name = `${base.pathname.slice(1)}_fresh_${process.pid}`;
  const fresh = new URL(base.toString());
  fresh.pathname = `/${name}`;
  let sup: Supervised | undefined;

  const admin = async <T>(run: (c: Client) => Promise<T>): Promise<T> => {
    const url = new URL(base.toString());
    url.pathname = '/postgres';
    const client = new Client({ connectionString: url.toString() });
    await client.connect();
    try {
      return await run(client);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  });

  afterAll(async () => {
    if (sup) await sup.terminate();
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  });

  it('boots 4 processes at once; each migration is recorded once and no process had to retry', async () => {
    sup = await startSupervisor({ LABS: 'booking,bank', LAB_INSTANCES: 'booking=3', DATABASE_URL: fresh.toString() });
    expect(await sup.processes()).toHaveLength(4);
    const db = new Client({ connectionString: fresh.toString() });
    await db.connect();
    try {
      const rows = (
        await db.query<{ name: string; n: number }>(
          `SELECT name, count(*)::int AS n FROM typeorm_migrations GROUP BY name`,
        )
      ).rows;
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.filter((r) => r.n !== 1)).toEqual([]);
    } finally {
      await db.end();
    }
    expect(sup.output()).not.toMatch(/migrations failed/);
  });
});
