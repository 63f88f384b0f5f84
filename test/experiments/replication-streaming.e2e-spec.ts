import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RunningApp } from '../../src/bootstrap';
import { READ_ANOMALY } from '../../src/labs/replication/domain/replication-history.checker';
import { nodeUrl } from '../utils/app';
import { post } from '../utils/http';
import { startAppOnFreePorts } from '../utils/ports';
import { FinishedRun, runExperiment, summary } from './experiment-kit';

/**
 * The replication experiment on the postgres-streaming engine (real hot standbys from `npm run
 * infra`, the nemesis's lag as their recovery_min_apply_delay): any-replica reads the past and is
 * invalid, read-your-writes routed on LSNs keeps its promise under the same seed and schedule.
 */
const STATUS_FILE = join(
  process.env.LABS_CACHE_DIR ?? join(homedir(), '.cache', 'distributed-systems-labs'),
  'pg-streaming',
  'infra.status',
);
const binaries = existsSync(STATUS_FILE) ? /binaries=(\S+)/.exec(readFileSync(STATUS_FILE, 'utf8'))?.[1] : undefined;
const binariesExist = binaries ? binaries !== 'missing' : existsSync('/usr/lib/postgresql');
if (!binariesExist)
  console.warn(
    `replication streaming experiment e2e SKIPPED: infra found no PostgreSQL server binaries (${STATUS_FILE})`,
  );
const describeStreaming = binariesExist ? describe : describe.skip;

const SEED = 31337;
const NEMESIS = 'lag-replica';

describeStreaming(
  'replication experiment on postgres-streaming (stale reads off real standbys; read-your-writes on LSNs)',
  () => {
    let app: RunningApp;
    let primary: string;
    const runs: Record<string, FinishedRun> = {};

    beforeAll(async () => {
      app = await startAppOnFreePorts({ LABS: 'replication' });
      primary = nodeUrl(app, 'replication', 'primary');
      const selected = await post(`${primary}/admin/replication-engine`, { engine: 'postgres-streaming' });
      if (selected.status !== 200)
        throw new Error(`postgres-streaming could not be selected: ${JSON.stringify(selected.body)}`);
    }, 120_000);

    afterAll(async () => {
      if (primary) {
        await post(`${primary}/admin/replication-delays`, { delays: { replica1: 500, replica2: 1500 } }).catch(
          () => undefined,
        );
        await post(`${primary}/admin/replication-engine`, { engine: 'app-log' }).catch(() => undefined);
      }
      await app?.close();
    });

    it.each(['any-replica', 'read-your-writes'])(
      '%s runs to a verdict on the standbys',
      async (strategy) => {
        runs[strategy] = await runExperiment(app, { lab: 'replication', strategy, nemesis: NEMESIS, seed: SEED });
        expect({ status: runs[strategy].doc.status, summary: summary(runs[strategy]) }).toMatchObject({
          status: expect.stringMatching(/^(valid|invalid)$/),
        });
      },
      120_000,
    );

    it('any-replica is invalid with stale reads; read-your-writes is valid with 0 RYW and 0 monotonic violations, both served by the standbys', () => {
      const any = runs['any-replica'];
      const anyStats = any.doc.verdict!.stats as Record<string, any>;
      expect(any.doc.status).toBe('invalid');
      expect(any.doc.verdict!.anomalies.filter((a) => a.type === READ_ANOMALY.stale).length).toBeGreaterThan(0);
      expect(anyStats.stale_reads).toBeGreaterThan(0);
      const ryw = runs['read-your-writes'];
      const rywStats = ryw.doc.verdict!.stats as Record<string, any>;
      expect({ status: ryw.doc.status, summary: summary(ryw) }).toMatchObject({ status: 'valid' });
      expect({ ryw: rywStats.ryw_violations, monotonic: rywStats.monotonic_violations }).toEqual({
        ryw: 0,
        monotonic: 0,
      });
      // The reads went to the hot standbys (not all to the primary): the promise held on real replay lag.
      for (const stats of [anyStats, rywStats]) {
        const replicaReads = ['replica1', 'replica2'].reduce((n, r) => n + (stats.served_by?.[r]?.reads ?? 0), 0);
        expect(replicaReads).toBeGreaterThan(0);
      }
      console.log(
        JSON.stringify({
          any: { stale: anyStats.stale_reads, ryw: anyStats.ryw_violations, served_by: anyStats.served_by },
          ryw: { stale: rywStats.stale_reads, served_by: rywStats.served_by },
        }),
      );
    });
  },
);
