import { DatabasePools } from '../../src/platform/database/database-pools.service';
import type { LabDatabase } from '../../src/platform/database/lab-database';
import type { RunningApp } from '../../src/bootstrap';
import { ReplicationExperiment } from '../../src/labs/replication/application/replication.experiment';
import { RNG_STREAM, SeededRng } from '../../src/platform/experiments/rng';
import { get } from '../utils/http';
import { startAppOnFreePorts } from '../utils/ports';
import { FinishedRun, invokesByProcess, runExperiment, summary } from './experiment-kit';

/**
 * The replication experiment on the real primary and replicas (PostgreSQL) while replicas are
 * lagged: any-replica reads the past, and the writes it missed are found in the primary's log;
 * every other read strategy keeps its own promise under the same seed and schedule.
 */
const SEED = 31337;
const NEMESIS = 'lag-replica';
const SAFE = ['primary-only', 'read-your-writes', 'monotonic-reads', 'bounded-staleness'];

type Bucket = { lt_ms: number | null; reads: number; saw: number; p: number | null };

describe('replication experiment (staleness, sessions and t-visibility under replica lag)', () => {
  let app: RunningApp;
  let db: LabDatabase;
  const runs: Record<string, FinishedRun> = {};

  beforeAll(async () => {
    app = await startAppOnFreePorts({ LABS: 'replication' });
    db = app.app.get(DatabasePools).forLab('replication');
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  it('lists the lab with every read strategy and honest expectations', async () => {
    const entry = ((await get(`${app.url}/admin/experiments/catalog`)).body.labs as Array<Record<string, any>>).find(
      (l) => l.lab === 'replication',
    );
    expect(entry).toMatchObject({ defaultNemesis: NEMESIS });
    expect(entry!.expectations).toEqual(
      expect.arrayContaining([
        { strategy: 'any-replica', nemesis: NEMESIS, expected: 'invalid' },
        ...SAFE.map((strategy) => ({ strategy, nemesis: NEMESIS, expected: 'valid' })),
      ]),
    );
  });

  it.each(['any-replica', ...SAFE])(
    '%s runs to a verdict',
    async (strategy) => {
      runs[strategy] = await runExperiment(app, { lab: 'replication', strategy, nemesis: NEMESIS, seed: SEED });
      expect({ status: runs[strategy].doc.status, summary: summary(runs[strategy]) }).toMatchObject({
        status: expect.stringMatching(/^(valid|invalid)$/),
      });
    },
    120_000,
  );

  it('any-replica is invalid: stale reads, and the writes they missed are in the primary’s log', async () => {
    const run = runs['any-replica'];
    expect(run.doc.status).toBe('invalid');
    const stale = run.doc.verdict!.anomalies.filter((a) => a.type === 'stale-read');
    expect(stale.length).toBeGreaterThan(0);
    for (const anomaly of stale.slice(0, 10)) {
      const [, writeOk, , readOk] = anomaly.ops;
      const write = run.history[writeOk];
      const read = run.history[readOk];
      expect(write).toMatchObject({ type: 'ok', f: 'write' });
      expect(read).toMatchObject({ type: 'ok', f: 'read' });
      const w = write.value as { key: string; value: string; version: number };
      const r = read.value as { key: string; found: boolean; value: string | null; version: number };
      expect(r.key).toBe(w.key);
      const key = `${run.setup.prefix}-${w.key}`;
      // The missed write is committed in the log with that LSN...
      const [logged] = (await db.query('SELECT lsn, value FROM replication.log WHERE key = $1 AND lsn = $2', [
        key,
        w.version,
      ])) as Array<{ lsn: string; value: unknown }>;
      expect(logged?.value).toBe(w.value);
      // ...and what the read returned is older: nothing yet, or an earlier entry of that key.
      if (r.found) {
        const [older] = (await db.query('SELECT lsn FROM replication.log WHERE key = $1 AND value = $2::jsonb', [
          key,
          JSON.stringify(r.value),
        ])) as Array<{ lsn: string }>;
        expect(Number(older.lsn)).toBeLessThan(w.version);
      } else {
        // Not found: the node serving it had not applied even the key's first write.
        const [{ first }] = (await db.query('SELECT min(lsn)::int AS first FROM replication.log WHERE key = $1', [
          key,
        ])) as Array<{ first: number }>;
        expect(first).toBeGreaterThan(r.version);
      }
    }
    const stats = run.doc.verdict!.stats as Record<string, any>;
    expect(stats.stale_reads).toBeGreaterThan(0);
    expect(stats.max_ms_behind).toBeGreaterThan(0);
  });

  it('any-replica’s t-visibility curve rises: reads right after a write miss it more often than reads a second later', () => {
    const curve = (runs['any-replica'].doc.verdict!.stats as Record<string, any>).t_visibility as Bucket[];
    const share = (buckets: Bucket[]) => {
      const reads = buckets.reduce((s, b) => s + b.reads, 0);
      return reads > 0 ? buckets.reduce((s, b) => s + b.saw, 0) / reads : NaN;
    };
    const early = curve.filter((b) => b.lt_ms !== null && b.lt_ms <= 250);
    const late = curve.filter((b) => b.lt_ms === null || b.lt_ms > 1000);
    expect(share(early)).toBeLessThan(share(late));
  });

  it.each(SAFE)('%s keeps its promise under the same seed and schedule', (strategy) => {
    const run = runs[strategy];
    expect({ status: run.doc.status, anomalies: run.doc.verdict!.anomalies.slice(0, 3) }).toEqual({
      status: 'valid',
      anomalies: [],
    });
    const stats = run.doc.verdict!.stats as Record<string, any>;
    expect(stats.reads_ok).toBeGreaterThan(50);
    expect(stats.monotonic_violations).toBe(0);
    if (strategy === 'primary-only') expect(stats).toMatchObject({ stale_reads: 0, ryw_violations: 0 });
    if (strategy === 'read-your-writes') expect(stats.ryw_violations).toBe(0);
    if (strategy === 'bounded-staleness') expect(stats.bound_exceeded).toBe(0);
  });

  it('the lagged replicas really lagged: every fault start and stop is in each history', () => {
    for (const run of Object.values(runs)) {
      const starts = run.history.filter((op) => op.process === 'nemesis' && op.f === 'start' && op.type === 'ok');
      expect(starts.map((op) => (op.value as { target: string }).target).sort()).toEqual(['replica1', 'replica2']);
    }
  });

  it('with a replica crashed, read-your-writes stays valid (no read served by the dead replica) and any-replica does not', async () => {
    const crashed = await runExperiment(app, {
      lab: 'replication',
      strategy: 'read-your-writes',
      nemesis: 'crash-replica',
      seed: SEED,
    });
    expect({ status: crashed.doc.status, summary: summary(crashed) }).toMatchObject({ status: 'valid' });
    const [step] = crashed.doc.schedule;
    const nemesis = crashed.history.filter((op) => op.process === 'nemesis' && op.type === 'ok');
    const down = nemesis.find((op) => op.f === 'start')!;
    const up = crashed.history.find((op) => op.process === 'nemesis' && op.f === 'stop' && op.type === 'invoke')!;
    expect((down.value as { target: string }).target).toBe(step.target);
    const open = new Map<number | string, number>();
    let duringCrash = 0;
    for (const op of crashed.history) {
      if (op.process === 'nemesis' || op.f !== 'read') continue;
      if (op.type === 'invoke') open.set(op.process, op.time);
      else if (op.type === 'ok' && open.get(op.process)! > down.time && op.time < up.time) {
        duringCrash++;
        expect((op.value as { served_by: string }).served_by).not.toBe(step.target);
      }
    }
    expect(duringCrash).toBeGreaterThan(10);
    // any-replica under the same crash still reads the past from the replica that is up.
    const unsafe = await runExperiment(app, {
      lab: 'replication',
      strategy: 'any-replica',
      nemesis: 'crash-replica',
      seed: SEED,
    });
    expect(unsafe.doc.status).toBe('invalid');
    expect(unsafe.doc.verdict!.anomalies.some((a) => a.type === 'stale-read')).toBe(true);
  }, 180_000);

  it('the same seed gives the same planned operations and the same schedule', () => {
    const all = Object.values(runs);
    for (const run of all) {
      expect(run.doc.schedule).toEqual(all[0].doc.schedule);
      expect(invokesByProcess(run.history)).toEqual(invokesByProcess(all[0].history));
    }
    const lab = app.app.get(ReplicationExperiment);
    const params = all[0].doc.params;
    const plan = (seed: number) => lab.plan(new SeededRng(seed, RNG_STREAM.workload), { ...params, seed });
    expect(plan(SEED)).toEqual(plan(SEED));
    expect(plan(SEED + 1)).not.toEqual(plan(SEED));
  });

  it('a run of the defaults takes at most 30 s', () => {
    for (const run of Object.values(runs)) {
      expect(new Date(run.doc.finished_at!).getTime() - new Date(run.doc.created_at).getTime()).toBeLessThanOrEqual(
        30_000,
      );
    }
  });
});
