import type { RunningApp } from '../../src/bootstrap';
import { NodeLifecycleService } from '../../src/platform/faults/node-lifecycle.service';
import { startApp } from '../utils/app';
import { eventually } from '../utils/concurrency';
import { request } from '../utils/http';
import {
  GATEWAY,
  REGION_URL,
  dropOldCounterKeys,
  forceSyncAll,
  regionCounter,
  resetLab,
  unique,
} from '../counter/counter-test-kit';

/**
 * A crashed node answers 503 on every spelling of its prefix. Express routes
 * case-insensitively, ignores a trailing slash and matches some percent-encoded forms, so each
 * spelling below is first shown to reach us-east while it is up, then to be refused while it is down.
 */
describe('hostile: a crashed node on every spelling of its prefix', () => {
  let app: RunningApp;
  let lifecycle: NodeLifecycleService;

  // [method, path under the main port, body]
  const spellings: Array<[string, string, unknown?]> = [
    ['GET', '/counter/us-east/health'],
    ['GET', '/Counter/US-East/health'],
    ['GET', '/COUNTER/US-EAST/HEALTH'],
    ['GET', '/counter/us-east/health/'],
    ['GET', '/counter/us-east/counters?x=1'],
    ['GET', '/counter/%75s-east/health'],
    ['GET', '/counter/us%2Deast/health'],
    ['GET', '/counter/us%2deast/counter/views'],
    ['GET', '//counter/us-east/health'],
    ['GET', '/counter//us-east/health'],
    ['GET', '/counter/us-east'],
    ['GET', '/counter/us-east/no-such-route'],
    ['POST', '/Counter/Us-East/increment', { counter_name: 'views', amount: 1 }],
    ['POST', '/counter/US-EAST/sync/', { counts: {}, node_id: 'eu-west-1', timestamp: 1 }],
  ];

  const send = (method: string, path: string, body?: unknown) => request(method, `${app.url}${path}`, body);

  beforeAll(async () => {
    app = await startApp({ LABS: 'counter' });
    lifecycle = app.app.get(NodeLifecycleService);
    await dropOldCounterKeys(app);
    await resetLab(app);
  });

  afterAll(async () => {
    await lifecycle.restart('counter', 'us-east');
    await resetLab(app);
    await app.close();
  });

  it('routes each spelling to us-east while it is up (so the probes below mean something)', async () => {
    const reached: Record<string, number> = {};
    for (const [method, path, body] of spellings)
      reached[`${method} ${path}`] = (await send(method, path, body)).status;
    // Express decides which spellings it routes; the point is that they exist.
    expect(reached['GET /Counter/US-East/health']).toBe(200);
    expect(reached['GET /counter/us-east/health/']).toBe(200);
    expect(reached['POST /Counter/Us-East/increment']).toBe(200);
    const routed = Object.values(reached).filter((s) => s === 200).length;
    expect(routed).toBeGreaterThanOrEqual(6);
    expect(Object.values(reached).every((s) => s < 500)).toBe(true);
  });

  it('answers 503 NODE.DOWN on every spelling while us-east is crashed, and the other nodes keep serving', async () => {
    await lifecycle.crash('counter', 'us-east', 'test', null);
    const outcomes = [];
    for (const [method, path, body] of spellings) {
      const res = await send(method, path, body);
      outcomes.push({ path: `${method} ${path}`, status: res.status, code: res.body?.code });
    }
    expect(outcomes).toEqual(
      spellings.map(([method, path]) => ({ path: `${method} ${path}`, status: 503, code: 'NODE.DOWN' })),
    );
    expect((await send('GET', '/Counter/US-West/health')).status).toBe(200);
    expect((await send('GET', '/counter/us-east-x/health')).status).toBe(404);
    const viaGateway = await request('POST', `${GATEWAY}/api/increment`, { counter_name: 'views', routing: 'us-west' });
    expect(viaGateway.status).toBe(200);
  });

  it('liveness: restarted, us-east serves every spelling again and anti-entropy converges', async () => {
    await lifecycle.restart('counter', 'us-east');
    expect((await send('GET', '/Counter/US-East/health')).body.region).toBe('us-east');
    const name = unique('routing-alive');
    expect(
      (await request('POST', `${REGION_URL['us-east']}/increment`, { counter_name: name, amount: 3 })).status,
    ).toBe(200);
    await forceSyncAll();
    const west = await eventually(
      () => regionCounter('us-west', name),
      (c) => c.total_count === 3,
    );
    expect(west.nodes).toEqual({ 'us-east-1': 3 });
  });
});
