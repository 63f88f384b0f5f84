import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RunningApp } from '../../src/bootstrap';
import { nodeUrl, startApp } from '../utils/app';
import { eventually } from '../utils/concurrency';
import { get, post } from '../utils/http';

/**
 * The main port's /health and /health/ready/replication list the streaming primary and each hot
 * standby while postgres-streaming is selected (and nothing of them under app-log): a cut-off
 * standby is `degraded` and falls behind the primary's WAL, healed it is `up` and level again; a
 * standby that does not answer is `down` and the lab is not ready. Real servers from `npm run infra`.
 */
const STATUS_FILE = join(
  process.env.LABS_CACHE_DIR ?? join(homedir(), '.cache', 'distributed-systems-labs'),
  'pg-streaming',
  'infra.status',
);
const binaries = existsSync(STATUS_FILE) ? /binaries=(\S+)/.exec(readFileSync(STATUS_FILE, 'utf8'))?.[1] : undefined;
const binariesExist = binaries ? binaries !== 'missing' : existsSync('/usr/lib/postgresql');
if (!binariesExist)
  console.warn(`streaming health e2e SKIPPED: infra found no PostgreSQL server binaries (${STATUS_FILE})`);
const describeStreaming = binariesExist ? describe : describe.skip;

describeStreaming("main-port /health: the replication lab's streaming standbys", () => {
  let app: RunningApp;
  let primary: string;
  let replica2: string;

  const setDelays = (r1: number, r2: number) =>
    post(`${primary}/admin/replication-delays`, { delays: { replica1: r1, replica2: r2 } });

  beforeAll(async () => {
    app = await startApp({ LABS: 'replication' });
    primary = nodeUrl(app, 'replication', 'primary');
    replica2 = nodeUrl(app, 'replication', 'replica2');
  });
  afterAll(async () => {
    await post(`${replica2}/admin/standby/heal`).catch(() => undefined);
    await setDelays(500, 1500).catch(() => undefined);
    await post(`${primary}/admin/replication-engine`, { engine: 'app-log' }).catch(() => undefined);
    await app.close();
  });

  it('under app-log lists no streaming server', async () => {
    expect((await post(`${primary}/admin/replication-engine`, { engine: 'app-log' })).status).toBe(200);
    const health = await eventually(
      () => get(`${app.url}/health`),
      (r) => !('standby-replica1' in r.body.dependencies),
      { timeoutMs: 10000 },
    );
    expect(Object.keys(health.body.dependencies).sort()).toEqual(['postgres', 'redis']);
    expect(health.body.labs.replication).toEqual({ status: 'up', dependencies: ['postgres', 'redis'], down: [] });
  });

  it('under postgres-streaming lists the primary and each standby; a cut standby is degraded and behind, healed it is up and level', async () => {
    const selected = await post(`${primary}/admin/replication-engine`, { engine: 'postgres-streaming' });
    if (selected.status !== 200)
      throw new Error(`postgres-streaming could not be selected: ${JSON.stringify(selected.body)}`);
    expect((await setDelays(0, 0)).status).toBe(200);

    const listed = await eventually(
      () => get(`${app.url}/health`),
      (r) =>
        r.body.dependencies['standby-replica2']?.recovery_min_apply_delay_ms === 0 &&
        r.body.dependencies['standby-replica1']?.state === 'streaming',
      { timeoutMs: 15000 },
    );
    expect(listed.body.status).toBe('ok');
    expect(listed.body.dependencies['streaming-primary']).toMatchObject({
      status: 'up',
      role: 'primary',
      lsn: expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/),
    });
    for (const name of ['replica1', 'replica2']) {
      expect(listed.body.dependencies[`standby-${name}`]).toMatchObject({
        status: 'up',
        role: 'standby',
        replica: name,
        state: 'streaming',
        replay_lsn: expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/),
        bytes_behind: expect.any(Number),
        recovery_min_apply_delay_ms: 0,
      });
      expect(listed.body.dependencies[`standby-${name}`]).toHaveProperty('replay_lag_ms');
    }
    expect(listed.body.labs.replication).toEqual({
      status: 'up',
      dependencies: ['postgres', 'redis', 'streaming-primary', 'standby-replica1', 'standby-replica2'],
      down: [],
    });
    const ready = await get(`${app.url}/health/ready/replication`);
    expect(ready.status).toBe(200);
    expect(ready.body.dependencies['standby-replica2']).toMatchObject({ status: 'up', state: 'streaming' });

    expect((await post(`${replica2}/admin/standby/cut`)).body).toEqual({ status: 'cut_off', replica: 'replica2' });
    await post(`${primary}/data`, { key: 'health-cut', value: 1 });
    const cut = await eventually(
      () => get(`${app.url}/health`),
      (r) =>
        r.body.dependencies['standby-replica2'].state === 'cut_off' &&
        r.body.dependencies['standby-replica2'].bytes_behind > 0,
      { timeoutMs: 15000 },
    );
    expect(cut.body.status).toBe('degraded');
    expect(cut.body.dependencies['standby-replica2']).toMatchObject({ status: 'degraded', state: 'cut_off' });
    expect(cut.body.dependencies['standby-replica1']).toMatchObject({ status: 'up', state: 'streaming' });
    // It still answers (stale) reads: the lab stays ready, naming the standby's state.
    const readyCut = await get(`${app.url}/health/ready/replication`);
    expect(readyCut.status).toBe(200);
    expect(readyCut.body.dependencies['standby-replica2']).toMatchObject({ status: 'degraded', state: 'cut_off' });

    expect((await post(`${replica2}/admin/standby/heal`)).body).toEqual({ status: 'healed', replica: 'replica2' });
    const healed = await eventually(
      () => get(`${app.url}/health`),
      (r) =>
        r.body.dependencies['standby-replica2'].state === 'streaming' &&
        r.body.dependencies['standby-replica2'].bytes_behind === 0,
      { timeoutMs: 20000, intervalMs: 200 },
    );
    expect(healed.body.status).toBe('ok');
    expect(healed.body.dependencies['standby-replica2']).toMatchObject({ status: 'up' });
  });

  describe('a standby that does not answer', () => {
    let other: RunningApp;
    beforeAll(async () => {
      // A second process whose replica2 URL leads nowhere (the engine selection is shared through Redis).
      other = await startApp({
        LABS: 'replication:primary',
        NODE_PORTS_SHIFT: String(Number(process.env.NODE_PORTS_SHIFT ?? 0) + 100),
        PG_STREAMING_REPLICA2_URL: 'postgres://postgres@127.0.0.1:1/labs_streaming',
      });
    });
    afterAll(async () => {
      await other?.close();
    });

    it('is down in /health and the lab is not ready (503 naming it); the other standby is up', async () => {
      const health = await eventually(
        () => get(`${other.url}/health`),
        (r) => r.body.dependencies['standby-replica2']?.status === 'down',
        { timeoutMs: 15000 },
      );
      expect(health.body.status).toBe('degraded');
      expect(health.body.dependencies['standby-replica2']).toMatchObject({
        state: 'unreachable',
        error: expect.any(String),
      });
      expect(health.body.dependencies['standby-replica1']).toMatchObject({ status: 'up' });
      expect(health.body.labs.replication).toMatchObject({ status: 'down', down: ['standby-replica2'] });
      const ready = await get(`${other.url}/health/ready/replication`);
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({
        code: 'HEALTH.NOT_READY',
        details: { labs: { replication: { down: ['standby-replica2'] } } },
      });
      expect(ready.body.message).toContain('replication (standby-replica2)');
    });
  });
});
