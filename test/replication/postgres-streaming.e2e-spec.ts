import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RunningApp } from '../../src/bootstrap';
import { compareLsn } from '../../src/labs/replication/domain/lsn';
import { nodeUrl, startApp } from '../utils/app';
import { eventually, runConcurrently } from '../utils/concurrency';
import { get, post } from '../utils/http';

/**
 * The replication lab on its postgres-streaming engine: a real PostgreSQL primary and two hot
 * standbys (`npm run infra` starts them), the seed's delays as each standby's
 * recovery_min_apply_delay, reads routed on LSNs, and the WAL faults.
 *
 * Skipped (with a warning) only where infra found no PostgreSQL server binaries; wherever they
 * exist, the trio must be up and every test here must pass.
 */
const STATUS_FILE = join(
  process.env.LABS_CACHE_DIR ?? join(homedir(), '.cache', 'distributed-systems-labs'),
  'pg-streaming',
  'infra.status',
);
const infraStatus = existsSync(STATUS_FILE)
  ? Object.fromEntries(
      readFileSync(STATUS_FILE, 'utf8')
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    )
  : {};
const binariesExist = infraStatus.binaries ? infraStatus.binaries !== 'missing' : existsSync('/usr/lib/postgresql');
if (!binariesExist) {
  console.warn(
    `postgres-streaming e2e SKIPPED: infra found no PostgreSQL server binaries (${STATUS_FILE}: ${JSON.stringify(infraStatus)})`,
  );
}
const describeStreaming = binariesExist ? describe : describe.skip;

interface SessionRead {
  missed_own_write: boolean;
  monotonic_violation: boolean;
  served_by: string;
  version: number;
  wrote: number;
  lsn?: string;
  fallback: string | null;
}

describeStreaming('replication lab, postgres-streaming engine (real PostgreSQL hot standbys)', () => {
  let app: RunningApp;
  let primary: string;
  let replica1: string;
  let replica2: string;
  let client: string;

  const setDelays = (replica1Ms: number, replica2Ms: number) =>
    post(`${primary}/admin/replication-delays`, { delays: { replica1: replica1Ms, replica2: replica2Ms } });
  const setStrategy = (strategy: string, settings: Record<string, number> = {}) =>
    post(`${client}/admin/read-strategy`, { strategy, ...settings });
  const version = async (url: string) => (await get(`${url}/version`)).body;

  /** Waits until both standbys replayed everything the primary has (bounded). */
  async function level() {
    const head = (await get(`${primary}/version`)).body;
    for (const url of [replica1, replica2]) {
      await eventually(
        () => version(url),
        (v) => v.epoch === head.epoch && v.version >= head.version,
        { timeoutMs: 20000, intervalMs: 50 },
      );
    }
  }

  async function freshLab(delays = { r1: 500, r2: 1500 }) {
    const selected = await post(`${primary}/admin/replication-engine`, { engine: 'postgres-streaming' });
    // infra says the binaries exist: the trio must be up (`npm run infra`); say why loudly if not
    if (selected.status !== 200)
      throw new Error(`postgres-streaming could not be selected: ${JSON.stringify(selected.body)}`);
    expect((await post(`${primary}/admin/reset`)).status).toBe(200);
    expect((await setDelays(delays.r1, delays.r2)).status).toBe(200);
    await setStrategy('any-replica', { max_wait_ms: 250, max_versions_behind: 2, max_ms_behind: 1000 });
    await level();
  }

  beforeAll(async () => {
    app = await startApp({ LABS: 'replication' });
    primary = nodeUrl(app, 'replication', 'primary');
    replica1 = nodeUrl(app, 'replication', 'replica1');
    replica2 = nodeUrl(app, 'replication', 'replica2');
    client = nodeUrl(app, 'replication', 'client');
    await freshLab();
  });
  afterAll(async () => {
    await post(`${replica1}/admin/standby/resume-replay`).catch(() => undefined);
    await post(`${replica2}/admin/standby/heal`).catch(() => undefined);
    await setDelays(500, 1500).catch(() => undefined);
    await post(`${primary}/admin/replication-engine`, { engine: 'app-log' }).catch(() => undefined);
    await setStrategy('any-replica').catch(() => undefined);
    await app.close();
  });

  describe('the engine and its standbys', () => {
    it('is selected at runtime beside app-log, and /health reports each standby', async () => {
      const engine = await get(`${primary}/admin/replication-engine`);
      expect(engine.body).toMatchObject({
        engine: 'postgres-streaming',
        available: ['app-log', 'postgres-streaming'],
        streaming: { available: true },
      });
      const health = await get(`${primary}/health`);
      expect(health.body).toMatchObject({
        status: 'ok',
        service: 'primary',
        engine: 'postgres-streaming',
        postgres_primary: { up: true },
      });
      for (const [name, url, delay] of [
        ['replica1', replica1, 500],
        ['replica2', replica2, 1500],
      ] as const) {
        expect(health.body.standbys[name]).toMatchObject({
          up: true,
          in_recovery: true,
          replay_paused: false,
          cut_off: false,
          recovery_min_apply_delay_ms: delay,
        });
        expect(health.body.standbys[name].replay_lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
        const own = await get(`${url}/health`);
        expect(own.body).toMatchObject({
          status: 'ok',
          service: name,
          replica_id: name,
          engine: 'postgres-streaming',
          standby: { up: true },
        });
      }
      const labs = await get(`${app.url}/admin/labs/replication`);
      expect(labs.body.strategy_ports).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ port: 'replication-engine', current: 'postgres-streaming' }),
        ]),
      );
    });

    it('puts the seed delays on the standbys as recovery_min_apply_delay, changed at runtime by the seed endpoint', async () => {
      const delays = await get(`${primary}/admin/replication-delays`);
      expect(delays.body).toMatchObject({
        delays: { 'http://lab14-replica1:8001': 500, 'http://lab14-replica2:8002': 1500 },
        engine: 'postgres-streaming',
        recovery_min_apply_delay_ms: { replica1: 500, replica2: 1500 },
      });
      expect(
        (
          await post(`${primary}/admin/replication-delay`, {
            replica_url: 'http://lab14-replica2:8002',
            delay_ms: 3000,
          })
        ).status,
      ).toBe(200);
      const standby = await eventually(
        () => get(`${replica2}/admin/standby`),
        (r) => r.body.standby.recovery_min_apply_delay_ms === 3000,
        { timeoutMs: 5000 },
      );
      expect(standby.body.standby.recovery_min_apply_delay_ms).toBe(3000);
      expect((await get(`${replica2}/state`)).body.replication_delay_ms).toBe(3000);
      await post(`${primary}/admin/replication-delay`, { replica_url: 'http://lab14-replica2:8002', delay_ms: 1500 });
    });

    it('refuses faults while the app-log engine is selected (409 naming the engine), and bad input with 400', async () => {
      expect((await post(`${primary}/admin/replication-engine`, { engine: 'app-log' })).status).toBe(200);
      const refused = await post(`${replica1}/admin/standby/pause-replay`);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'REPLICATION.WRONG_ENGINE' });
      expect((await post(`${primary}/admin/replication-engine`, { engine: 'postgres-streaming' })).status).toBe(200);
      const unknown = await post(`${primary}/admin/replication-engine`, { engine: 'mysql' });
      expect(unknown.status).toBe(400);
      const badLsn = await get(`${replica1}/version?min_lsn=nope&wait_ms=10`);
      expect(badLsn.status).toBe(400);
      expect(JSON.stringify(badLsn.body)).toContain('min_lsn');
    });
  });

  describe('seed runbook, parts 3 to 7, on WAL replay', () => {
    beforeAll(() => freshLab());

    it('part 3: replica2 is stale right after a write (its standby has not replayed it) and consistent after 2 s', async () => {
      const write = await post(`${primary}/data`, { key: 'greeting', value: 'Hello, Distributed World!' });
      expect(write.status).toBe(200);
      expect(write.body).toMatchObject({
        version: 1,
        key: 'greeting',
        replication_started: true,
        engine: 'postgres-streaming',
      });
      expect(write.body.commit_lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      const r2 = await get(`${replica2}/version`);
      expect(r2.body).toMatchObject({
        source: 'replica2',
        version: 0,
        versions_behind: 1,
        engine: 'postgres-streaming',
      });
      expect(r2.body.ms_behind).toBeGreaterThanOrEqual(0);
      expect(r2.body.replay_lag_ms).toBeGreaterThanOrEqual(0);
      await new Promise((r) => setTimeout(r, 2000));
      for (const [url, source] of [
        [replica1, 'replica1'],
        [replica2, 'replica2'],
      ]) {
        const v = (await get(`${url}/version`)).body;
        expect(v).toMatchObject({ source, version: 1, versions_behind: 0, ms_behind: 0, replay_lag_ms: 0 });
        expect(compareLsn(v.replay_lsn, write.body.commit_lsn)).toBeGreaterThanOrEqual(0);
        expect((await get(`${url}/data/greeting`)).body).toMatchObject({
          found: true,
          value: 'Hello, Distributed World!',
        });
      }
    });

    it('parts 4 and 7: write-and-read sees stale standbys; read-compare and status; the primary serves its own write at once', async () => {
      const res = await post(`${client}/write-and-read`, { key: 'stale-test', value: 'will-replicas-see-this?' });
      expect(res.status).toBe(200);
      expect(res.body.stale_read_count).toBeGreaterThanOrEqual(1);
      expect(res.body.immediate_reads['lab14-replica2']).toMatchObject({ has_new_data: false });
      const compare = await get(`${client}/read-compare`);
      expect(compare.body.analysis.primary_version).toBe(res.body.write_result.version);
      expect(compare.body.replicas['lab14-replica2'].version).toBeLessThan(res.body.write_result.version);
      const status = await eventually(
        () => get(`${client}/status`),
        (r) => r.body.primary_version === res.body.write_result.version,
        { timeoutMs: 5000 },
      );
      expect(status.body.replicas.map((r: { replica_id: string }) => r.replica_id)).toEqual(['replica1', 'replica2']);
      const own = await post(`${primary}/data`, { key: 'ryw-test', value: 'read-your-writes-demo' });
      expect((await get(`${primary}/data`)).body).toMatchObject({
        version: own.body.version,
        data: { 'ryw-test': 'read-your-writes-demo' },
      });
    });

    it('part 5: the visibility window of each standby is its recovery_min_apply_delay, within ±100 ms', async () => {
      const windows: Array<{ r1: number; r2: number; total: number }> = [];
      for (let i = 1; i <= 5; i++) {
        const res = await post(`${client}/write-and-wait?timeout_ms=5000`, { key: `measure-${i}`, value: `test-${i}` });
        expect(res.status).toBe(200);
        expect(res.body.consistency_achieved).toBe(true);
        expect(res.body.final_versions['lab14-replica2']).toBe(res.body.write_result.version);
        windows.push({
          r1: res.body.replica_windows_ms['lab14-replica1'],
          r2: res.body.replica_windows_ms['lab14-replica2'],
          total: res.body.consistency_time_ms,
        });
      }
      for (const w of windows) {
        expect(Math.abs(w.r1 - 500)).toBeLessThanOrEqual(100);
        expect(Math.abs(w.r2 - 1500)).toBeLessThanOrEqual(100);
        // the client's own measure includes its HTTP round trips: never shorter than the delay
        expect(w.total).toBeGreaterThanOrEqual(1400);
      }
    });

    it('part 6: replica2 at 3000 ms stretches its window to 3000 ± 100 ms; back at 1500 it shrinks again', async () => {
      await post(`${primary}/admin/replication-delay`, { replica_url: 'http://lab14-replica2:8002', delay_ms: 3000 });
      const slow = await post(`${client}/write-and-wait?timeout_ms=10000`, {
        key: 'slow-replica',
        value: 'testing-longer-delay',
      });
      expect(slow.body.consistency_achieved).toBe(true);
      expect(Math.abs(slow.body.replica_windows_ms['lab14-replica2'] - 3000)).toBeLessThanOrEqual(100);
      const short = await post(`${client}/write-and-wait?timeout_ms=1000`, { key: 'too-short', value: 1 });
      expect(short.body).toMatchObject({ consistency_achieved: false, timeout_ms: 1000 });
      await post(`${primary}/admin/replication-delay`, { replica_url: 'http://lab14-replica2:8002', delay_ms: 1500 });
      await level();
      const back = await post(`${client}/write-and-wait?timeout_ms=5000`, { key: 'back', value: 1 });
      expect(Math.abs(back.body.replica_windows_ms['lab14-replica2'] - 1500)).toBeLessThanOrEqual(100);
    });

    it('versions on a standby never go backwards while writes stream in', async () => {
      await setDelays(50, 200);
      const seen: Record<string, number[]> = { replica1: [], replica2: [] };
      let writing = true;
      const poll = runConcurrently(2, async (i) => {
        const [name, url] = i === 0 ? ['replica1', replica1] : ['replica2', replica2];
        while (writing) {
          seen[name].push((await version(url)).version);
          await new Promise((r) => setTimeout(r, 10));
        }
      });
      await runConcurrently(5, async (w) => {
        for (let i = 0; i < 12; i++)
          expect((await post(`${primary}/data`, { key: `mono-${w}`, value: i })).status).toBe(200);
      });
      await level();
      writing = false;
      await poll;
      for (const name of ['replica1', 'replica2']) {
        expect(seen[name].length).toBeGreaterThan(5);
        for (let i = 1; i < seen[name].length; i++) expect(seen[name][i]).toBeGreaterThanOrEqual(seen[name][i - 1]);
        expect(new Set(seen[name]).size).toBeGreaterThan(2);
      }
    });

    it('reset: every standby replays the new epoch at version 0', async () => {
      const reset = await post(`${primary}/admin/reset`);
      expect(reset.body).toMatchObject({ status: 'reset', version: 0, engine: 'postgres-streaming' });
      for (const url of [replica1, replica2]) {
        const v = await eventually(
          () => version(url),
          (b) => b.epoch === reset.body.epoch,
          { timeoutMs: 10000, intervalMs: 50 },
        );
        expect(v).toMatchObject({ version: 0, versions_behind: 0 });
        expect((await get(`${url}/data`)).body.data).toEqual({});
      }
    });
  });

  describe('read strategies on LSNs', () => {
    // replica1 replays almost at once, replica2 150 ms late: some reads can be served by a standby, some cannot
    beforeAll(() => freshLab({ r1: 0, r2: 150 }));

    /** `total` write-then-read pairs over `workers` concurrent sessions; every read, with the version its own write got. */
    async function pairs(total: number, workers: number): Promise<SessionRead[]> {
      const per = total / workers;
      const results = await runConcurrently(workers, async (w) => {
        let session: string | undefined;
        const reads: SessionRead[] = [];
        for (let i = 0; i < per; i++) {
          const write = await post(`${client}/writes`, { key: `s${w}-${i % 5}`, value: `${w}-${i}`, session });
          expect(write.status).toBe(200);
          const read = await get(
            `${client}/reads?key=${encodeURIComponent(`s${w}-${i % 5}`)}&session=${write.body.session}`,
          );
          expect(read.status).toBe(200);
          session = read.body.session;
          reads.push({ ...read.body, wrote: write.body.version });
        }
        return reads;
      });
      return results.flat();
    }

    it('read-your-writes: 1,000 write-then-read pairs, 0 miss the session’s own write; standbys serve once they replayed its commit LSN', async () => {
      expect((await setStrategy('read-your-writes', { max_wait_ms: 30 })).status).toBe(200);
      const reads = await pairs(1000, 20);
      expect(reads).toHaveLength(1000);
      const violations = reads.filter((r) => r.missed_own_write || r.version < r.wrote);
      console.log(
        `postgres-streaming read-your-writes: ${violations.length} violations / ${reads.length}; served_by ${JSON.stringify(countBy(reads.map((r) => r.served_by)))}`,
      );
      expect(violations).toHaveLength(0);
      expect(reads.filter((r) => r.monotonic_violation)).toHaveLength(0);
      // LSN routing, not a disguised primary-only: standbys served a real share
      expect(reads.filter((r) => r.served_by !== 'primary').length).toBeGreaterThan(50);
      for (const r of reads) expect(r.lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    });

    it('any-replica: the same pairs miss their own writes (counted), since a standby replays after its delay', async () => {
      await setStrategy('any-replica');
      await setDelays(300, 300);
      const reads = await pairs(200, 10);
      const misses = reads.filter((r) => r.missed_own_write);
      console.log(`postgres-streaming any-replica: ${misses.length} read-your-writes violations / ${reads.length}`);
      expect(misses.length).toBeGreaterThan(0);
      for (const m of misses) expect(m.version).toBeLessThan(m.wrote);
      await setDelays(0, 150);
    });

    it('monotonic-reads and bounded-staleness: session reads never go back in time', async () => {
      for (const strategy of ['monotonic-reads', 'bounded-staleness']) {
        await setStrategy(strategy, { max_wait_ms: 30, max_versions_behind: 2, max_ms_behind: 1000 });
        const reads = await pairs(100, 10);
        expect({ strategy, violations: reads.filter((r) => r.monotonic_violation).length }).toEqual({
          strategy,
          violations: 0,
        });
      }
    });
  });

  describe('faults: WAL replay paused, standby cut off, and the heal', () => {
    beforeAll(() => freshLab({ r1: 0, r2: 0 }));
    afterEach(async () => {
      await post(`${replica1}/admin/standby/resume-replay`);
      await post(`${replica2}/admin/standby/heal`);
    });

    it('paused replay freezes replica1 where it was while WAL still arrives; read-your-writes routes around it; resume catches up', async () => {
      const paused = await post(`${replica1}/admin/standby/pause-replay`);
      expect(paused.body).toEqual({ status: 'replay_paused', replica: 'replica1' });
      const frozen = (await version(replica1)).version;
      for (let i = 0; i < 5; i++) await post(`${primary}/data`, { key: 'paused', value: i });
      await new Promise((r) => setTimeout(r, 500));
      const during = await version(replica1);
      expect(during.version).toBe(frozen);
      expect(during.versions_behind).toBeGreaterThanOrEqual(5);
      const standby = await eventually(
        () => get(`${replica1}/admin/standby`),
        (r) => compareLsn(r.body.standby.receive_lsn, r.body.standby.replay_lsn) > 0,
        { timeoutMs: 5000 },
      );
      expect(standby.body.standby).toMatchObject({ replay_paused: true, wal_receiver: 'streaming' });

      await setStrategy('read-your-writes', { max_wait_ms: 30 });
      let session: string | undefined;
      for (let i = 0; i < 20; i++) {
        const w = await post(`${client}/writes`, { key: 'paused-ryw', value: i, session });
        const r = await get(`${client}/reads?key=paused-ryw&session=${w.body.session}`);
        session = r.body.session;
        expect(r.body).toMatchObject({ missed_own_write: false, value: i });
        expect(r.body.served_by).not.toBe('replica1');
      }

      expect((await post(`${replica1}/admin/standby/resume-replay`)).body).toEqual({
        status: 'replay_resumed',
        replica: 'replica1',
      });
      await level();
      expect((await version(replica1)).versions_behind).toBe(0);
    });

    it('a cut-off standby stops receiving WAL (its receiver stops) and stays behind; healed, it reconnects and catches up', async () => {
      const cut = await post(`${replica2}/admin/standby/cut`);
      expect(cut.body).toEqual({ status: 'cut_off', replica: 'replica2' });
      const stopped = await eventually(
        () => get(`${replica2}/admin/standby`),
        (r) => r.body.standby.wal_receiver === null,
        { timeoutMs: 10000 },
      );
      expect(stopped.body.standby.cut_off).toBe(true);
      const before = (await version(replica2)).version;
      const write = await post(`${primary}/data`, { key: 'cut', value: 1 });
      await eventually(
        () => version(replica1),
        (v) => v.version >= write.body.version,
        { timeoutMs: 5000, intervalMs: 50 },
      );
      await new Promise((r) => setTimeout(r, 1000));
      const behind = await version(replica2);
      expect(behind.version).toBe(before);
      expect(behind.versions_behind).toBeGreaterThanOrEqual(1);

      expect((await post(`${replica2}/admin/standby/heal`)).body).toEqual({ status: 'healed', replica: 'replica2' });
      await eventually(
        () => version(replica2),
        (v) => v.version >= write.body.version,
        { timeoutMs: 15000, intervalMs: 50 },
      );
      const healed = await eventually(
        () => get(`${replica2}/admin/standby`),
        (r) => r.body.standby.wal_receiver === 'streaming',
        { timeoutMs: 10000 },
      );
      expect(healed.body.standby.cut_off).toBe(false);
    });
  });

  describe('a server of the trio not up', () => {
    let other: RunningApp;
    let otherPrimary: string;

    // A second primary node whose replica2 URL leads nowhere, beside the first (the engine selection is shared through Redis).
    beforeAll(async () => {
      other = await startApp({
        LABS: 'replication:primary',
        NODE_PORTS_SHIFT: String(Number(process.env.NODE_PORTS_SHIFT ?? 0) + 100),
        PG_STREAMING_REPLICA2_URL: 'postgres://postgres@127.0.0.1:1/labs_streaming',
      });
      otherPrimary = nodeUrl(other, 'replication', 'primary');
    });
    afterAll(async () => {
      await other?.close();
    });

    it('selecting postgres-streaming is refused with 409 naming the server; while selected, requests answer 503 naming it', async () => {
      const refused = await post(`${otherPrimary}/admin/replication-engine`, { engine: 'postgres-streaming' });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({
        code: 'REPLICATION.ENGINE_UNAVAILABLE',
        details: { engine: 'postgres-streaming' },
      });
      expect(refused.body.message).toContain('replica2 (postgres://postgres@127.0.0.1:1/labs_streaming)');
      expect(refused.body.message).toContain('npm run infra');
      // the first app selected it: this one cannot serve it, and says why instead of hanging or 500
      expect((await get(`${primary}/admin/replication-engine`)).body.engine).toBe('postgres-streaming');
      const write = await post(`${otherPrimary}/data`, { key: 'nowhere', value: 1 });
      expect(write.status).toBe(503);
      expect(write.body).toMatchObject({ code: 'REPLICATION.ENGINE_UNAVAILABLE' });
      expect(write.body.message).toContain('replica2');
      const health = await get(`${otherPrimary}/health`);
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({
        engine: 'postgres-streaming',
        available: false,
        standbys: { replica1: { up: true }, replica2: { up: false } },
      });
      // the first app's trio is untouched
      expect((await get(`${primary}/health`)).body).toMatchObject({ available: true });
    });
  });
});

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
