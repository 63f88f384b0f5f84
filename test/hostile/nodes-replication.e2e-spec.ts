import { createServer, Server } from 'node:http';
import type { RunningApp } from '../../src/bootstrap';
import { nodeUrl, startApp } from '../utils/app';
import { eventually } from '../utils/concurrency';
import { freePort } from '../utils/ports';
import { get, post, request } from '../utils/http';

/**
 * The replication lab between nodes: node-to-node endpoints validate their ranges
 * (never a 500), a forged epoch neither wipes nor freezes a replica, a backlog of large values
 * still ships, a value too large to ship is refused at the write, and a replica checks the
 * primary's replies before applying them. Each probe is followed by a normal write that must
 * reach both replicas.
 */
describe('hostile: replication node-to-node traffic', () => {
  let app: RunningApp;
  let primary: string;
  let replica1: string;
  let replica2: string;

  const write = async (key: string, value: unknown) => {
    const res = await post(`${primary}/data`, { key, value });
    expect({ key, status: res.status }).toEqual({ key, status: 200 });
    return res.body as { version: number; epoch: number };
  };
  /** Liveness: a normal write reaches both replicas by shipping. */
  const shipsToBoth = async (key: string) => {
    const { version } = await write(key, `alive-${key}`);
    for (const replica of [replica1, replica2]) {
      const res = await get(`${replica}/data/${key}?min_version=${version}&wait_ms=10000`);
      expect({ replica, reached: res.body.reached, value: res.body.value }).toEqual({
        replica,
        reached: true,
        value: `alive-${key}`,
      });
    }
  };

  beforeAll(async () => {
    app = await startApp({ LABS: 'replication' });
    primary = nodeUrl(app, 'replication', 'primary');
    replica1 = nodeUrl(app, 'replication', 'replica1');
    replica2 = nodeUrl(app, 'replication', 'replica2');
    await post(`${primary}/admin/reset`);
    await post(`${primary}/admin/replication-delays`, { delays: { replica1: 20, replica2: 40 } });
  });
  afterAll(async () => {
    await post(`${primary}/admin/replication-delays`, { delays: { replica1: 500, replica2: 1500 } });
    await post(`${primary}/admin/reset`);
    await app.close();
  });

  it('answers 400, never 500, to epochs, LSNs and versions outside their column types', async () => {
    const { epoch } = await write('range-base', 1);
    const entry = { lsn: 1, key: 'k', value: 1, write_id: 'w', write_timestamp: 1 };
    const probes: Array<[string, string, unknown?]> = [
      ['POST', `${replica1}/replicate`, { epoch: 2 ** 31, entries: [] }],
      ['POST', `${replica1}/replicate`, { epoch: 2 ** 40, entries: [entry] }],
      ['POST', `${replica1}/replicate`, { epoch, entries: [{ ...entry, lsn: 2 ** 53 }] }],
      ['POST', `${replica1}/replicate`, { epoch, entries: [{ ...entry, lsn: 0 }] }],
      ['POST', `${replica1}/replicate`, { epoch, delay_ms: 10 ** 12, entries: [] }],
      ['POST', `${replica1}/admin/reset?epoch=2147483648`],
      ['POST', `${replica1}/admin/reset?epoch=0`],
      ['GET', `${primary}/log?after=99999999999999999999`],
      ['GET', `${primary}/log?after=9223372036854775808`],
      ['GET', `${primary}/log?after=-1`],
      ['GET', `${primary}/version?replica_version=99999999999999999999`],
      ['GET', `${primary}/version?replica_version=9007199254740993`],
      ['GET', `${primary}/version?replica_version=1&replica_epoch=2147483648`],
      ['GET', `${replica1}/version?min_version=99999999999999999999&wait_ms=10`],
      ['GET', `${replica2}/data/k?min_version=18446744073709551616`],
    ];
    const outcomes = [];
    for (const [method, url, body] of probes) {
      const res = await request(method, url, body);
      outcomes.push({ method, url, status: res.status, json: typeof res.body?.code === 'string' });
    }
    expect(outcomes).toEqual(probes.map(([method, url]) => ({ method, url, status: 400, json: true })));
    await shipsToBoth('after-ranges');
  });

  it('refuses a forged newer epoch (409) on /replicate and on reset: the replica is neither wiped nor frozen', async () => {
    const { epoch } = await write('keep-me', 'real');
    await eventually(
      () => get(`${replica1}/data/keep-me`),
      (r) => r.body.found === true,
    );
    const forged = {
      epoch: epoch + 5,
      entries: [{ lsn: 1, key: 'forged', value: 'evil', write_id: 'forged', write_timestamp: 1 }],
    };
    const replicated = await post(`${replica1}/replicate`, forged);
    expect(replicated.status).toBe(409);
    expect(replicated.body).toMatchObject({
      code: 'REPLICATION.EPOCH_NOT_CONFIRMED',
      details: { epoch: epoch + 5, primary_epoch: epoch },
    });
    const reset = await post(`${replica2}/admin/reset?epoch=${epoch + 9}`);
    expect(reset.status).toBe(409);
    for (const replica of [replica1, replica2]) {
      const data = await get(`${replica}/data`);
      expect({
        replica,
        epoch: data.body.epoch,
        keep: data.body.data['keep-me'],
        forged: data.body.data.forged,
      }).toEqual({
        replica,
        epoch,
        keep: 'real',
        forged: undefined,
      });
    }
    await shipsToBoth('after-forged-epoch');
  });

  it('ships a backlog of large values in batches under the body limit, and replication goes on behind it', async () => {
    const big = (i: number) => `${i}:`.padEnd(300_000, 'x');
    expect((await post(`${app.url}/admin/labs/replication/nodes/replica1/crash`)).body.up).toBe(false);
    for (let i = 0; i < 8; i++) await write(`big-${i}`, big(i));
    // Shipments to the crashed replica failed and wait for a retry: 8 x 300 kB, more than one body.
    expect((await get(`${primary}/state`)).body.queued_for_shipping.replica1).toBeGreaterThanOrEqual(8);
    expect((await post(`${app.url}/admin/labs/replication/nodes/replica1/restart`)).body.up).toBe(true);
    const drained = await eventually(
      () => get(`${primary}/state`),
      (r) => r.body.queued_for_shipping.replica1 === 0,
      { timeoutMs: 10000 },
    );
    expect(drained.body.queued_for_shipping).toEqual({ replica1: 0, replica2: 0 });
    const data = (await get(`${replica1}/data`)).body.data as Record<string, string>;
    for (let i = 0; i < 8; i++) expect(data[`big-${i}`] === big(i)).toBe(true);
    // The restarted replica caught up from the log by itself; what follows must come by shipping.
    await shipsToBoth('after-backlog');
  });

  it('refuses at the write (413) a value whose log entry could not travel in one message, and keeps shipping', async () => {
    const before = (await get(`${primary}/version`)).body.version;
    // The write itself fits under BODY_LIMIT (1 MiB); its log entry, with LSN, id and timestamp, would not.
    const value = 'v'.repeat(1024 * 1024 - 100);
    const res = await post(`${primary}/data`, { key: 'too-big', value });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('REPLICATION.VALUE_TOO_LARGE');
    expect(res.body.details.entry_bytes).toBeGreaterThan(res.body.details.limit_bytes);
    expect((await get(`${primary}/version`)).body.version).toBe(before);
    const fits = await write('large-but-fine', 'f'.repeat(700_000));
    await eventually(
      () => get(`${replica2}/version`),
      (r) => r.body.version >= fits.version,
      { timeoutMs: 10000 },
    );
    await shipsToBoth('after-too-large');
  });
});

describe('hostile: a replica checks the primary’s replies like requests', () => {
  let fake: Server;
  let replica: RunningApp | undefined;
  let primary: RunningApp | undefined;
  let answer: 'garbage' | 'honest' = 'garbage';
  let epoch = 1;
  const entry = {
    lsn: 1,
    key: 'from-fake',
    value: 'checked',
    write_id: 'fake0001',
    write_timestamp: Date.now() / 1000,
  };

  beforeAll(async () => {
    // Learn the real primary's epoch, so the honest answers below stay in it.
    primary = await startApp({ LABS: 'replication:primary' });
    await post(`${nodeUrl(primary, 'replication', 'primary')}/admin/reset`);
    epoch = (await get(`${nodeUrl(primary, 'replication', 'primary')}/version`)).body.epoch;
    await primary.close();
    primary = undefined;
    const port = await freePort();
    fake = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      let body: unknown = { statusCode: 404 };
      if (url.pathname === '/version') {
        body =
          answer === 'garbage'
            ? { epoch: 'one', version: -4, versions_behind: 1e300, ms_behind: 'soon' }
            : { epoch, version: 1, versions_behind: 1, ms_behind: 5 };
      } else if (url.pathname === '/log') {
        body =
          answer === 'garbage'
            ? {
                epoch,
                version: 2,
                entries: [
                  { ...entry, lsn: 'first' },
                  { ...entry, lsn: 2, write_timestamp: 'never' },
                ],
              }
            : { epoch, version: 1, entries: Number(url.searchParams.get('after')) >= 1 ? [] : [entry] };
      }
      res.writeHead(url.pathname === '/version' || url.pathname === '/log' ? 200 : 404, {
        'content-type': 'application/json',
      });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => fake.listen(port, '127.0.0.1', resolve));
    replica = await startApp({
      LABS: 'replication:replica1',
      NODE_URLS: `replication:primary=http://127.0.0.1:${port}`,
    });
  });
  afterAll(async () => {
    await replica?.close();
    await new Promise((resolve) => fake.close(resolve));
    // The real primary puts replica1 back in step with its own epoch.
    primary = await startApp({ LABS: 'replication' });
    await post(`${nodeUrl(primary, 'replication', 'primary')}/admin/reset`);
    await primary.close();
  });

  it('applies nothing from a malformed log page, answers reads 200 without a lag, then catches up from an honest one', async () => {
    const url = nodeUrl(replica!, 'replication', 'replica1');
    await new Promise((r) => setTimeout(r, 1500));
    const version = await get(`${url}/version`);
    expect(version.status).toBe(200);
    expect(version.body).toMatchObject({ version: 0, versions_behind: null, ms_behind: null });
    expect((await get(`${url}/data`)).body.data).toEqual({});
    answer = 'honest';
    const caught = await eventually(
      () => get(`${url}/data`),
      (r) => r.body.version === 1,
      { timeoutMs: 10000 },
    );
    expect(caught.body.data).toEqual({ 'from-fake': 'checked' });
    expect((await get(`${url}/version`)).body).toMatchObject({ version: 1, versions_behind: 1 });
  });
});
