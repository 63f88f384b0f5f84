import { DatabasePools } from '../../src/platform/database/database-pools.service';
import type { LabDatabase } from '../../src/platform/database/lab-database';
import type { RunningApp } from '../../src/bootstrap';
import { OrdersExperiment } from '../../src/labs/orders/application/orders.experiment';
import { RNG_STREAM, SeededRng } from '../../src/platform/experiments/rng';
import { get } from '../utils/http';
import { startAppOnFreePorts } from '../utils/ports';
import { FinishedRun, invokesByProcess, runExperiment, summary } from './experiment-kit';

/**
 * The orders experiment on the real Kafka broker and PostgreSQL: under the same seed and the same
 * consumer-crash schedule, at-most-once loses acknowledged orders, at-least-once applies one twice,
 * exactly-once neither — and the orders the checker names are looked up in PostgreSQL.
 */
const SEED = 4242;
const NEMESIS = 'crash-consumer';

describe('orders experiment (Jepsen set under consumer crashes)', () => {
  let app: RunningApp;
  let db: LabDatabase;
  const runs: Record<string, FinishedRun> = {};

  beforeAll(async () => {
    app = await startAppOnFreePorts({ LABS: 'orders' });
    db = app.app.get(DatabasePools).forLab('orders');
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  it('lists the lab in the catalog with its strategies, crash schedule and honest expectations', async () => {
    const res = await get(`${app.url}/admin/experiments/catalog`);
    expect(res.status).toBe(200);
    const entry = (res.body.labs as Array<Record<string, any>>).find((l) => l.lab === 'orders');
    expect(entry).toMatchObject({ defaultWorkload: 'orders', defaultNemesis: NEMESIS });
    expect(entry!.nemeses.map((n: { name: string }) => n.name)).toEqual(expect.arrayContaining(['none', NEMESIS]));
    expect(entry!.expectations).toEqual(
      expect.arrayContaining([
        { strategy: 'at-most-once', nemesis: NEMESIS, expected: 'invalid' },
        { strategy: 'at-least-once', nemesis: NEMESIS, expected: 'invalid' },
        { strategy: 'exactly-once', nemesis: NEMESIS, expected: 'valid' },
      ]),
    );
  });

  it.each(['at-most-once', 'at-least-once', 'exactly-once'])(
    '%s runs to a verdict under the crash schedule',
    async (strategy) => {
      runs[strategy] = await runExperiment(app, { lab: 'orders', strategy, nemesis: NEMESIS, seed: SEED });
      expect({ status: runs[strategy].doc.status, summary: summary(runs[strategy]) }).toMatchObject({
        status: expect.stringMatching(/^(valid|invalid)$/),
      });
    },
    120_000,
  );

  it('at-most-once is invalid: acknowledged orders lost, and they really are absent from PostgreSQL', async () => {
    const run = runs['at-most-once'];
    expect(run.doc.status).toBe('invalid');
    const lost = run.doc.verdict!.anomalies.filter((a) => a.type === 'lost');
    expect(lost.length).toBeGreaterThan(0);
    expect(run.doc.verdict!.stats).toMatchObject({ duplicated: 0, semantics_observed: 'at-most-once' });
    for (const anomaly of lost) {
      const acked = anomaly.ops.map((i) => run.history[i]).find((op) => op.f === 'send' && op.type === 'ok');
      expect(acked).toBeDefined();
      const orderId = `${run.setup.prefix}-${(acked!.value as { order_id: string }).order_id}`;
      expect(await db.query('SELECT 1 FROM orders.orders WHERE order_id = $1', [orderId])).toEqual([]);
    }
    // The crash that lost them is in the history: a nemesis start with the before-db-write point.
    expect(
      run.history.some((op) => op.process === 'nemesis' && JSON.stringify(op.value).includes('before-db-write')),
    ).toBe(true);
  });

  it('at-least-once is invalid: an order applied twice, and PostgreSQL counts its side effect twice', async () => {
    const run = runs['at-least-once'];
    expect(run.doc.status).toBe('invalid');
    const duplicates = run.doc.verdict!.anomalies.filter((a) => a.type === 'duplicate');
    expect(duplicates.length).toBeGreaterThan(0);
    expect(run.doc.verdict!.stats).toMatchObject({ lost: 0 });
    for (const anomaly of duplicates) {
      const send = run.history[anomaly.ops[0]];
      const orderId = `${run.setup.prefix}-${(send.value as { order_id: string }).order_id}`;
      const [row] = (await db.query('SELECT applied_count FROM orders.orders WHERE order_id = $1', [
        orderId,
      ])) as Array<{ applied_count: number }>;
      expect(Number(row.applied_count)).toBeGreaterThan(1);
    }
  });

  it('exactly-once is valid under the same seed and schedule: every acknowledged order applied once', async () => {
    const run = runs['exactly-once'];
    expect(run.doc.status).toBe('valid');
    expect(run.doc.verdict!.anomalies).toEqual([]);
    const stats = run.doc.verdict!.stats as Record<string, number>;
    expect(stats).toMatchObject({ lost: 0, duplicated: 0, drained: true, semantics_observed: 'exactly-once' });
    expect(stats.applied_once).toBe(stats.ok);
    const [{ n }] = (await db.query(
      `SELECT count(*)::int AS n FROM orders.orders WHERE order_id LIKE $1 AND applied_count = 1`,
      [`${run.setup.prefix}-%`],
    )) as Array<{ n: number }>;
    expect(n).toBeGreaterThanOrEqual(stats.ok);
    // The crashes really happened during this run too.
    expect(run.history.filter((op) => op.process === 'nemesis' && op.f === 'start' && op.type === 'ok').length).toBe(3);
  });

  it('exactly-once stays valid while the orders lab’s PostgreSQL connections are killed', async () => {
    const run = await runExperiment(app, {
      lab: 'orders',
      strategy: 'exactly-once',
      seed: SEED,
      nemesis: 'kill-db-backends',
    });
    expect({ status: run.doc.status, summary: summary(run) }).toMatchObject({ status: 'valid' });
    const read = run.history.filter((op) => op.f === 'read' && op.type === 'ok').pop();
    // The fault really hit: transactions of the lab were cut, and every order still landed once.
    expect((read!.value as { backends_killed: number }).backends_killed).toBeGreaterThan(0);
    expect(run.doc.verdict!.stats).toMatchObject({ lost: 0, duplicated: 0 });
  }, 120_000);

  it('the same seed gives the same planned operations and the same schedule', () => {
    const [a, b, c] = ['at-most-once', 'at-least-once', 'exactly-once'].map((s) => runs[s]);
    expect(b.doc.schedule).toEqual(a.doc.schedule);
    expect(c.doc.schedule).toEqual(a.doc.schedule);
    expect(invokesByProcess(b.history)).toEqual(invokesByProcess(a.history));
    expect(invokesByProcess(c.history)).toEqual(invokesByProcess(a.history));
    const lab = app.app.get(OrdersExperiment);
    const params = a.doc.params;
    const plan = (seed: number) => lab.plan(new SeededRng(seed, RNG_STREAM.workload), { ...params, seed });
    expect(plan(SEED)).toEqual(plan(SEED));
    expect(plan(SEED + 1)).not.toEqual(plan(SEED));
  });

  it('a run of the defaults takes at most 30 s', () => {
    for (const run of Object.values(runs)) {
      const ms = new Date(run.doc.finished_at!).getTime() - new Date(run.doc.created_at).getTime();
      expect(ms).toBeLessThanOrEqual(30_000);
    }
  });
});
