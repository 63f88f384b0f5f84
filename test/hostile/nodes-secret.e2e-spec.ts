import type { RunningApp } from '../../src/bootstrap';
import { nodeUrl, startApp } from '../utils/app';
import { eventually } from '../utils/concurrency';
import { get, post, request } from '../utils/http';
import {
  REGION_URL,
  dropOldCounterKeys,
  forceSyncAll,
  regionCounter,
  resetLab,
  unique,
} from '../counter/counter-test-kit';

const SECRET = 'test-node-secret-0123456789';
const withSecret = (secret: string) => ({ 'content-type': 'application/json', 'x-node-secret': secret });

/**
 * With NODE_SECRET set, node-to-node endpoints (/sync, /replicate, /log) refuse
 * calls without it (401) or with another one (403), while the nodes themselves, which carry it,
 * keep syncing and shipping.
 */
describe('hostile: NODE_SECRET on node-to-node endpoints', () => {
  describe('counter', () => {
    let app: RunningApp;
    const name = unique('secret');
    const state = { counts: { [name]: { 'us-west-1': 7 } }, node_id: 'us-west-1', timestamp: 1 };

    beforeAll(async () => {
      app = await startApp({ LABS: 'counter', NODE_SECRET: SECRET });
      await dropOldCounterKeys(app);
      await resetLab(app);
    });
    afterAll(async () => {
      await resetLab(app);
      await app.close();
    });

    it('refuses /sync without the secret (401) and with a wrong one (403), as JSON, merging nothing', async () => {
      const none = await post(`${REGION_URL['us-east']}/sync`, state);
      expect(none.status).toBe(401);
      expect(none.body).toMatchObject({ statusCode: 401, code: 'NODE.SECRET_REQUIRED' });
      const wrong = await request(
        'POST',
        `${REGION_URL['us-east']}/sync`,
        state,
        withSecret('another-secret-0123456789'),
      );
      expect(wrong.status).toBe(403);
      expect(wrong.body).toMatchObject({ statusCode: 403, code: 'NODE.SECRET_MISMATCH' });
      const mainPort = await post(`${app.url}/Counter/US-East/sync`, state);
      expect(mainPort.status).toBe(401);
      expect((await regionCounter('us-east', name)).total_count).toBe(0);
    });

    it('accepts /sync with the secret, and anti-entropy between the nodes still converges', async () => {
      const ok = await request('POST', `${REGION_URL['us-east']}/sync`, state, withSecret(SECRET));
      expect(ok.status).toBe(200);
      expect((await regionCounter('us-east', name)).nodes).toEqual({ 'us-west-1': 7 });
      expect((await post(`${REGION_URL['eu-west']}/increment`, { counter_name: name, amount: 2 })).status).toBe(200);
      await forceSyncAll();
      for (const region of ['us-east', 'us-west', 'eu-west'] as const) {
        expect((await regionCounter(region, name)).nodes).toEqual({ 'eu-west-1': 2, 'us-west-1': 7 });
      }
      // Endpoints users call stay open.
      expect((await get(`${REGION_URL['us-east']}/counters`)).status).toBe(200);
    });
  });

  describe('replication', () => {
    let app: RunningApp;
    let primary: string;
    let replica1: string;
    let client: string;

    beforeAll(async () => {
      app = await startApp({ LABS: 'replication', NODE_SECRET: SECRET });
      primary = nodeUrl(app, 'replication', 'primary');
      replica1 = nodeUrl(app, 'replication', 'replica1');
      client = nodeUrl(app, 'replication', 'client');
      await post(`${primary}/admin/reset`);
      await post(`${primary}/admin/replication-delays`, { delays: { replica1: 20, replica2: 40 } });
    });
    afterAll(async () => {
      await post(`${primary}/admin/replication-delays`, { delays: { replica1: 500, replica2: 1500 } });
      await app.close();
    });

    it('refuses /replicate and /log without the secret or with a wrong one', async () => {
      const epoch = (await get(`${primary}/version`)).body.epoch;
      const entries = [{ lsn: 1, key: 'forged', value: 'x', write_id: 'forged', write_timestamp: 1 }];
      expect((await post(`${replica1}/replicate`, { epoch, entries })).status).toBe(401);
      expect(
        (await request('POST', `${replica1}/replicate`, { epoch, entries }, withSecret('x'.repeat(20)))).status,
      ).toBe(403);
      expect((await get(`${primary}/log?after=0`)).status).toBe(401);
      expect((await request('GET', `${primary}/log?after=0`, undefined, withSecret('y'.repeat(30)))).body.code).toBe(
        'NODE.SECRET_MISMATCH',
      );
      expect((await get(`${replica1}/data`)).body.data).toEqual({});
      expect((await request('GET', `${primary}/log?after=0`, undefined, withSecret(SECRET))).status).toBe(200);
    });

    it('liveness: the primary, carrying the secret, still ships every write to both replicas', async () => {
      const res = await post(`${client}/write-and-wait?timeout_ms=5000`, { key: 'k', value: 'shipped' });
      expect(res.status).toBe(200);
      expect(res.body.consistency_achieved).toBe(true);
      const data = await eventually(
        () => get(`${replica1}/data`),
        (r) => r.body.data.k === 'shipped',
      );
      expect(data.body.data).toEqual({ k: 'shipped' });
    });
  });
});
