import type { RunningApp } from '../../src/bootstrap';
import { nodeUrl, startApp } from '../utils/app';
import { eventually, runConcurrently } from '../utils/concurrency';
import { get, post, request } from '../utils/http';

/** The seed runbook (05-eventual-consistency) against the real app on PostgreSQL and Redis. */
describe('replication lab', () => {
  let app: RunningApp;
  let primary: string;
  let replica1: string;
  let replica2: string;
  let client: string;

  const setDelay = (replica_url: string, delay_ms: number) =>
    post(`${primary}/admin/replication-delay`, { replica_url, delay_ms });
  const setStrategy = (strategy: string) => post(`${client}/admin/read-strategy`, { strategy });
  const metricsText = async () => (await fetch(`${app.url}/metrics`)).text();
  const metric = (text: string, name: string, labels: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  async function freshLab(delays = { r1: 500, r2: 1500 }) {
    // this suite is the app-log engine's (test/replication/postgres-streaming.e2e-spec.ts has the other)
    await post(`${primary}/admin/replication-engine`, { engine: 'app-log' });
    await post(`${primary}/admin/reset`);
    await post(`${primary}/admin/replication-delays`, { delays: { replica1: delays.r1, replica2: delays.r2 } });
    await setStrategy('any-replica');
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
    await freshLab().catch(() => undefined);
    await app.close();
  });

  describe('seed runbook, parts 1 and 3 to 7', () => {
    beforeAll(() => freshLab());

    it('answers /health on the four seed ports', async () => {
      expect((await get(`${primary}/health`)).body).toEqual({ status: 'ok', service: 'primary' });
      expect((await get(`${replica1}/health`)).body).toEqual({
        status: 'ok',
        service: 'replica1',
        replica_id: 'replica1',
      });
      expect((await get(`${replica2}/health`)).body).toEqual({
        status: 'ok',
        service: 'replica2',
        replica_id: 'replica2',
      });
      expect((await get(`${client}/health`)).body).toEqual({ status: 'ok', service: 'client' });
    });

    it('part 3: shows the default delays, and replica2 is stale right after a write and consistent after 2 s', async () => {
      const delays = await get(`${primary}/admin/replication-delays`);
      expect(delays.body).toMatchObject({
        delays: { 'http://lab14-replica1:8001': 500, 'http://lab14-replica2:8002': 1500 },
        default_replica1_ms: 500,
        default_replica2_ms: 1500,
      });
      const write = await post(`${primary}/data`, { key: 'greeting', value: 'Hello, Distributed World!' });
      expect(write.status).toBe(200);
      expect(write.body).toMatchObject({
        version: 1,
        key: 'greeting',
        value: 'Hello, Distributed World!',
        replication_started: true,
      });
      expect(write.body.write_id).toMatch(/^[0-9a-f]{8}$/);
      expect(typeof write.body.write_timestamp).toBe('number');
      expect((await get(`${primary}/version`)).body).toMatchObject({ source: 'primary', version: 1 });
      const r2 = await get(`${replica2}/version`);
      expect(r2.body).toMatchObject({ source: 'replica2', version: 0, versions_behind: 1 });
      expect(r2.body.ms_behind).toBeGreaterThanOrEqual(0);
      await new Promise((r) => setTimeout(r, 2000));
      for (const [url, source] of [
        [replica1, 'replica1'],
        [replica2, 'replica2'],
      ]) {
        expect((await get(`${url}/version`)).body).toMatchObject({
          source,
          version: 1,
          versions_behind: 0,
          ms_behind: 0,
        });
      }
    });

    it('part 4: write-and-read sees stale replicas; read-compare and status describe every source', async () => {
      const res = await post(`${client}/write-and-read`, { key: 'stale-test', value: 'will-replicas-see-this?' });
      expect(res.status).toBe(200);
      expect(res.body.write_result.version).toBe(2);
      expect(Object.keys(res.body.immediate_reads).sort()).toEqual(['lab14-replica1', 'lab14-replica2']);
      expect(res.body.immediate_reads['lab14-replica2']).toMatchObject({ version: 1, has_new_data: false });
      expect(res.body.stale_read_count).toBeGreaterThanOrEqual(1);
      expect(res.body.total_replicas).toBe(2);
      expect(typeof res.body.elapsed_ms).toBe('number');
      expect(typeof res.body.note).toBe('string');

      const compare = await get(`${client}/read-compare`);
      expect(compare.body.primary).toMatchObject({
        source: 'primary',
        version: 2,
        data: { greeting: 'Hello, Distributed World!' },
      });
      expect(Object.keys(compare.body.replicas).sort()).toEqual(['lab14-replica1', 'lab14-replica2']);
      expect(compare.body.analysis.primary_version).toBe(2);
      expect(compare.body.analysis).toHaveProperty('stale_replicas');
      expect(compare.body.analysis).toHaveProperty('consistent_replicas');
      expect(compare.body.analysis).toHaveProperty('all_consistent');

      const status = await eventually(
        () => get(`${client}/status`),
        (r) => r.body.primary_version === 2,
        { timeoutMs: 5000 },
      );
      expect(status.body).toMatchObject({ primary_version: 2 });
      expect(status.body.replicas.map((r: { replica_id: string }) => r.replica_id)).toEqual(['replica1', 'replica2']);
      expect(status.body).toHaveProperty('last_poll_time');
      expect(status.body).toHaveProperty('waiting_for_consistency');
    });

    it('part 5: write-and-wait measures the consistency window at the slowest delay (1500–1700 ms)', async () => {
      const times: number[] = [];
      for (let i = 1; i <= 3; i++) {
        const res = await post(`${client}/write-and-wait?timeout_ms=5000`, { key: `measure-${i}`, value: `test-${i}` });
        expect(res.status).toBe(200);
        expect(res.body.consistency_achieved).toBe(true);
        expect(res.body.final_versions['lab14-replica2']).toBe(res.body.write_result.version);
        times.push(res.body.consistency_time_ms);
      }
      for (const t of times) {
        expect(t).toBeGreaterThanOrEqual(1500);
        expect(t).toBeLessThanOrEqual(1700);
      }
    });

    it('part 6: raising replica2 to 3000 ms (by its seed URL) stretches the window to 3000–3200 ms', async () => {
      const raised = await setDelay('http://lab14-replica2:8002', 3000);
      expect(raised.body).toMatchObject({
        status: 'updated',
        replica_url: 'http://lab14-replica2:8002',
        delay_ms: 3000,
        all_delays: { 'http://lab14-replica1:8001': 500, 'http://lab14-replica2:8002': 3000 },
      });
      const res = await post(`${client}/write-and-wait?timeout_ms=10000`, {
        key: 'slow-replica',
        value: 'testing-longer-delay',
      });
      expect(res.body.consistency_achieved).toBe(true);
      expect(res.body.consistency_time_ms).toBeGreaterThanOrEqual(3000);
      expect(res.body.consistency_time_ms).toBeLessThanOrEqual(3200);
      expect((await setDelay('http://lab14-replica2:8002', 1500)).body.delay_ms).toBe(1500);
    });

    it('part 6: a too-short timeout reports the timeout instead of a fake consistency', async () => {
      const res = await post(`${client}/write-and-wait?timeout_ms=100`, { key: 'impatient', value: 1 });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ consistency_achieved: false, timeout_ms: 100 });
      expect(res.body.attempts).toBeGreaterThanOrEqual(1);
    });

    it('part 7: the primary serves its own write at once; after write-and-wait every replica has it', async () => {
      const write = await post(`${primary}/data`, { key: 'ryw-test', value: 'read-your-writes-demo' });
      const data = await get(`${primary}/data`);
      expect(data.body.version).toBe(write.body.version);
      expect(data.body.data['ryw-test']).toBe('read-your-writes-demo');
      const waited = await post(`${client}/write-and-wait?timeout_ms=5000`, {
        key: 'ryw-wait',
        value: 'waited-for-consistency',
      });
      expect(waited.body.consistency_achieved).toBe(true);
      for (const url of [replica1, replica2]) {
        expect((await get(`${url}/version`)).body.version).toBe(waited.body.write_result.version);
      }
    });

    it('reset clears every node, and shipments in flight from before the reset never land', async () => {
      await post(`${primary}/data`, { key: 'doomed', value: 1 });
      const reset = await post(`${primary}/admin/reset`);
      expect(reset.body).toMatchObject({ status: 'reset', version: 0 });
      await new Promise((r) => setTimeout(r, 1800));
      for (const url of [primary, replica1, replica2]) {
        const data = await get(`${url}/data`);
        expect({ url, version: data.body.version, data: data.body.data }).toEqual({ url, version: 0, data: {} });
      }
    });
  });

  describe('replication as an ordered log', () => {
    beforeEach(() => freshLab({ r1: 20, r2: 40 }));

    it('a replica fills a gap from the primary’s log, ignores old and duplicate entries, and never goes back', async () => {
      await setDelay('replica1', 60000);
      const versions: number[] = [];
      for (let i = 1; i <= 5; i++)
        versions.push((await post(`${primary}/data`, { key: `k${i}`, value: i })).body.version);
      const log = await get(`${primary}/log?after=0`);
      expect(log.body.entries.map((e: { lsn: number }) => e.lsn)).toEqual([1, 2, 3, 4, 5]);
      const epoch = log.body.epoch;
      const only5 = await post(`${replica1}/replicate`, { epoch, entries: [log.body.entries[4]] });
      expect(only5.body).toMatchObject({ status: 'replicated', replica_id: 'replica1', version: 5 });
      const old = await post(`${replica1}/replicate`, { epoch, entries: [log.body.entries[2], log.body.entries[2]] });
      expect(old.body).toMatchObject({ version: 5, applied: 0, ignored: 2 });
      const stale = await post(`${replica1}/replicate`, {
        epoch: epoch - 1,
        entries: [{ ...log.body.entries[0], lsn: 99 }],
      });
      expect(stale.body.version).toBe(5);
      const data = await get(`${replica1}/data`);
      expect(data.body.data).toEqual({ k1: 1, k2: 2, k3: 3, k4: 4, k5: 5 });
    });

    it('a replica crashed mid-stream catches up from the log, and its version never decreases', async () => {
      const seen: number[] = [];
      let writing = true;
      const sampler = (async () => {
        while (writing) {
          const r = await get(`${app.url}/replication/replica1/version`).catch(() => undefined);
          if (r?.status === 200) seen.push(r.body.version);
          await new Promise((res) => setTimeout(res, 15));
        }
      })();
      const writer = (async () => {
        for (let i = 0; i < 150; i++) {
          const res = await post(`${primary}/data`, { key: `stream-${i % 20}`, value: i });
          expect(res.status).toBe(200);
          if (i === 50)
            expect((await post(`${app.url}/admin/labs/replication/nodes/replica1/crash`)).body.up).toBe(false);
          if (i === 100)
            expect((await post(`${app.url}/admin/labs/replication/nodes/replica1/restart`)).body.up).toBe(true);
        }
      })();
      await writer;
      const head = (await get(`${primary}/version`)).body.version;
      await eventually(
        () => get(`${replica1}/version`),
        (r) => r.body.version === head,
        { timeoutMs: 15000 },
      );
      writing = false;
      await sampler;
      expect(seen.length).toBeGreaterThan(10);
      const decreases = seen.filter((v, i) => i > 0 && v < seen[i - 1]);
      expect(decreases).toEqual([]);
      expect((await get(`${replica1}/data`)).body.data).toEqual((await get(`${primary}/data`)).body.data);
    });
    it('a crashed primary loses its send queue; after its restart the replicas catch up from the log', async () => {
      await setDelay('replica2', 1500);
      for (let i = 1; i <= 3; i++) await post(`${primary}/data`, { key: `q${i}`, value: i });
      expect((await post(`${app.url}/admin/labs/replication/nodes/primary/crash`)).body.up).toBe(false);
      await new Promise((r) => setTimeout(r, 1800));
      expect((await get(`${replica2}/version`)).body.version).toBe(0);
      expect((await post(`${app.url}/admin/labs/replication/nodes/primary/restart`)).body.up).toBe(true);
      await eventually(
        () => get(`${replica2}/version`),
        (r) => r.body.version === 3,
        { timeoutMs: 5000 },
      );
      expect((await get(`${replica2}/data`)).body.data).toEqual({ q1: 1, q2: 2, q3: 3 });
    });
  });

  describe('read strategies with session tokens', () => {
    beforeAll(() => freshLab({ r1: 20, r2: 60 }));

    /** `pairs` write-then-read pairs over `workers` concurrent sessions; returns every read. */
    async function pairs(total: number, workers: number) {
      const per = total / workers;
      const results = await runConcurrently(workers, async (w) => {
        let session: string | undefined;
        const reads: Array<{
          missed_own_write: boolean;
          monotonic_violation: boolean;
          served_by: string;
          version: number;
          wrote: number;
        }> = [];
        for (let i = 0; i < per; i++) {
          const write = await post(`${client}/writes`, { key: `s${w}-${i}`, value: i, session });
          expect(write.status).toBe(200);
          const read = await get(
            `${client}/reads?key=${encodeURIComponent(`s${w}-${i}`)}&session=${write.body.session}`,
          );
          expect(read.status).toBe(200);
          session = read.body.session;
          reads.push({ ...read.body, wrote: write.body.version });
        }
        return reads;
      });
      return results.flat();
    }

    it('read-your-writes: 1,000 write-then-read pairs, 0 reads miss the session’s own write', async () => {
      expect((await setStrategy('read-your-writes')).body.strategy).toBe('read-your-writes');
      const before = await metricsText();
      const reads = await pairs(1000, 20);
      expect(reads).toHaveLength(1000);
      expect(reads.filter((r) => r.missed_own_write || r.version < r.wrote)).toHaveLength(0);
      expect(reads.filter((r) => r.monotonic_violation)).toHaveLength(0);
      const after = await metricsText();
      const served = ['replica1', 'replica2', 'primary'].reduce(
        (n, by) =>
          n +
          metric(
            after,
            'replication_session_reads_total',
            `strategy="read-your-writes",served_by="${by}",outcome="consistent"`,
          ) -
          metric(
            before,
            'replication_session_reads_total',
            `strategy="read-your-writes",served_by="${by}",outcome="consistent"`,
          ),
        0,
      );
      expect(served).toBe(1000);
    });

    it('any-replica: the same pairs miss their own writes, and the misses are reported', async () => {
      await setStrategy('any-replica');
      // Lag long enough that even a slow machine reads before the replicas apply.
      await post(`${primary}/admin/replication-delays`, { delays: { replica1: 1000, replica2: 1000 } });
      const before = await metricsText();
      const reads = await pairs(300, 10);
      await post(`${primary}/admin/replication-delays`, { delays: { replica1: 20, replica2: 60 } });
      const misses = reads.filter((r) => r.missed_own_write);
      expect(misses.length).toBeGreaterThan(0);
      for (const m of misses) expect(m.version).toBeLessThan(m.wrote);
      const after = await metricsText();
      const counted = ['replica1', 'replica2'].reduce(
        (n, by) =>
          n +
          metric(
            after,
            'replication_session_reads_total',
            `strategy="any-replica",served_by="${by}",outcome="missed_own_write"`,
          ) -
          metric(
            before,
            'replication_session_reads_total',
            `strategy="any-replica",served_by="${by}",outcome="missed_own_write"`,
          ),
        0,
      );
      expect(counted).toBe(misses.length);
      const report = await get(`${client}/staleness-report`);
      const early = report.body.replicas.replica2.buckets.filter((b: { le_ms: string }) => Number(b.le_ms) <= 500);
      const sampled = early.reduce((n: number, b: { reads: number }) => n + b.reads, 0);
      const fresh = early.reduce((n: number, b: { fresh: number }) => n + b.fresh, 0);
      expect(sampled).toBeGreaterThan(0);
      expect(fresh).toBeLessThan(sampled);
    });

    it.each(['primary-only', 'monotonic-reads', 'bounded-staleness'])(
      '%s: session reads never go back in time',
      async (strategy) => {
        await setStrategy(strategy);
        const reads = await pairs(100, 5);
        expect(reads.filter((r) => r.monotonic_violation)).toHaveLength(0);
        if (strategy === 'primary-only') {
          expect(reads.filter((r) => r.missed_own_write)).toHaveLength(0);
          expect(reads.every((r) => r.served_by === 'primary')).toBe(true);
        }
      },
    );

    it('shows the selection in /admin/labs, as the seed-style admin endpoint set it', async () => {
      await post(`${client}/admin/read-strategy`, { strategy: 'bounded-staleness', max_versions_behind: 3 });
      const labs = await get(`${app.url}/admin/labs/replication`);
      expect(labs.body.strategy_ports).toHaveLength(2);
      expect(labs.body.strategy_ports).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ port: 'read-routing', current: 'bounded-staleness', default: 'any-replica' }),
          expect.objectContaining({ port: 'replication-engine', current: 'app-log', default: 'app-log' }),
        ]),
      );
      expect((await get(`${client}/admin/read-strategy`)).body.settings.max_versions_behind).toBe(3);
      await post(`${client}/admin/read-strategy`, { strategy: 'any-replica', max_versions_behind: 2 });
    });
  });

  describe('bad input gets a 4xx JSON answer and changes nothing', () => {
    beforeAll(() => freshLab());

    it.each([
      ['missing key', 'POST', '/data', { value: 1 }, 400, 'REQUEST.VALIDATION_FAILED'],
      ['missing value', 'POST', '/data', { key: 'k' }, 400, 'REQUEST.VALIDATION_FAILED'],
      ['key of the wrong type', 'POST', '/data', { key: 5, value: 1 }, 400, 'REQUEST.VALIDATION_FAILED'],
      ['unknown field', 'POST', '/data', { key: 'k', value: 1, extra: true }, 400, 'REQUEST.VALIDATION_FAILED'],
      [
        'unknown replica',
        'POST',
        '/admin/replication-delay',
        { replica_url: 'http://lab14-replica9:8009', delay_ms: 10 },
        400,
        'REPLICATION.UNKNOWN_REPLICA',
      ],
      [
        'negative delay',
        'POST',
        '/admin/replication-delay',
        { replica_url: 'replica1', delay_ms: -5 },
        400,
        'REQUEST.VALIDATION_FAILED',
      ],
      [
        'fractional delay',
        'POST',
        '/admin/replication-delay',
        { replica_url: 'replica1', delay_ms: 1.5 },
        400,
        'REQUEST.VALIDATION_FAILED',
      ],
      [
        'negative delay in the map',
        'POST',
        '/admin/replication-delays',
        { delays: { replica1: -1 } },
        400,
        'REQUEST.VALIDATION_FAILED',
      ],
      [
        'unknown replica in the map',
        'POST',
        '/admin/replication-delays',
        { delays: { nope: 1 } },
        400,
        'REPLICATION.UNKNOWN_REPLICA',
      ],
    ])('primary: %s', async (_name, method, path, body, status, code) => {
      const before = (await get(`${primary}/state`)).body;
      const res = await request(method, `${primary}${path}`, body);
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ statusCode: status, code });
      expect(typeof res.body.message).toBe('string');
      const after = (await get(`${primary}/state`)).body;
      expect(after.version).toBe(before.version);
      expect(after.replication_delays).toEqual(before.replication_delays);
    });

    it('client and replicas: negative timeout, bad session, unknown strategy, malformed JSON, bad log entries', async () => {
      const cases: Array<[string, string, unknown, number, string]> = [
        ['POST', `${client}/write-and-wait?timeout_ms=-1`, { key: 'k', value: 1 }, 400, 'REQUEST.VALIDATION_FAILED'],
        ['POST', `${client}/write-and-wait?timeout_ms=abc`, { key: 'k', value: 1 }, 400, 'REQUEST.VALIDATION_FAILED'],
        ['POST', `${client}/write-and-read`, { value: 1 }, 400, 'REQUEST.VALIDATION_FAILED'],
        ['GET', `${client}/reads?key=k&session=forged`, undefined, 400, 'REPLICATION.BAD_SESSION_TOKEN'],
        ['GET', `${client}/reads`, undefined, 400, 'REQUEST.VALIDATION_FAILED'],
        ['POST', `${client}/admin/read-strategy`, { strategy: 'eventually-maybe' }, 400, 'ADMIN.UNKNOWN_STRATEGY'],
        ['POST', `${client}/admin/read-strategy`, { max_wait_ms: -1 }, 400, 'REQUEST.VALIDATION_FAILED'],
        ['POST', `${primary}/data`, '{"key": "k", ', 400, 'REQUEST.MALFORMED_JSON'],
        [
          'POST',
          `${replica1}/replicate`,
          { epoch: 1, entries: [{ lsn: -3, key: 'k', value: 1, write_id: 'x', write_timestamp: 1 }] },
          400,
          'REQUEST.VALIDATION_FAILED',
        ],
        ['POST', `${replica1}/replicate`, { entries: [] }, 400, 'REQUEST.VALIDATION_FAILED'],
        ['GET', `${replica1}/version?min_version=-1`, undefined, 400, 'REQUEST.VALIDATION_FAILED'],
      ];
      for (const [method, url, body, status, code] of cases) {
        const res = await request(method, url, body);
        expect({ url, status: res.status, code: res.body?.code }).toEqual({ url, status, code });
      }
      expect((await get(`${primary}/version`)).body.version).toBe(0);
      expect((await get(`${client}/admin/read-strategy`)).body.strategy).toBe('any-replica');
    });
  });

  it('exports the seed metrics with one label value per replica', async () => {
    await post(`${client}/write-and-wait?timeout_ms=5000`, { key: 'metrics', value: 1 });
    const text = await metricsText();
    for (const replica of ['replica1', 'replica2']) {
      expect(metric(text, 'replication_success_total', `replica="${replica}"`)).toBeGreaterThan(0);
      expect(metric(text, 'replica_replication_received_total', `replica_id="${replica}"`)).toBeGreaterThan(0);
      expect(text).toContain(`client_version_divergence{replica="${replica}"}`);
      expect(text).toContain(`replication_delay_seconds_bucket{le="0.5",replica="${replica}"}`);
    }
    expect(text).not.toContain('lab14-replica');
    expect(text).toContain('client_consistency_window_ms_bucket');
    expect(text).toContain('primary_current_version');
  });
});

describe('replication lab: a replica in a process of its own', () => {
  it('runs replica2 alone (LABS=replication:replica2); a new process resumes from its rows and catches up without going back', async () => {
    const main = await startApp({ LABS: 'replication:primary,replication:replica1,replication:client' });
    let solo = await startApp({ LABS: 'replication:replica2' });
    const primary = nodeUrl(main, 'replication', 'primary');
    const replica2 = () => nodeUrl(solo, 'replication', 'replica2');
    try {
      await post(`${primary}/admin/reset`);
      await post(`${primary}/admin/replication-delays`, { delays: { replica1: 20, replica2: 20 } });
      for (let i = 0; i < 30; i++) expect((await post(`${primary}/data`, { key: `p${i}`, value: i })).status).toBe(200);
      await eventually(
        () => get(`${replica2()}/version`),
        (r) => r.body.version === 30,
        { timeoutMs: 10000 },
      );

      await solo.close();
      for (let i = 30; i < 60; i++)
        expect((await post(`${primary}/data`, { key: `p${i}`, value: i })).status).toBe(200);
      solo = await startApp({ LABS: 'replication:replica2' });
      const resumed = await get(`${replica2()}/version`);
      expect(resumed.body.version).toBeGreaterThanOrEqual(30);
      await eventually(
        () => get(`${replica2()}/version`),
        (r) => r.body.version === 60,
        { timeoutMs: 10000 },
      );
      expect((await get(`${replica2()}/data`)).body.data).toEqual((await get(`${primary}/data`)).body.data);
    } finally {
      await post(`${primary}/admin/replication-delays`, { delays: { replica1: 500, replica2: 1500 } }).catch(
        () => undefined,
      );
      await solo.close();
      await main.close();
    }
  });
});
