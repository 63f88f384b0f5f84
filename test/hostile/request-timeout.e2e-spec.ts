import type { RunningApp } from '../../src/bootstrap';
import { nodeUrl, startApp } from '../utils/app';
import { get, post } from '../utils/http';

/**
 * REQUEST_TIMEOUT_MS bounds every request on the main port and on node ports with a 504 JSON,
 * and a loop the request drives stops once nobody waits for it.
 */
describe('global request timeout', () => {
  let app: RunningApp;
  const name = `timeout_${Date.now()}`;

  beforeAll(async () => {
    app = await startApp({ LABS: 'counter', REQUEST_TIMEOUT_MS: '1500', LOG_LEVEL: 'error' });
    expect((await post(`${app.url}/counter/strong/admin/coordination-delay?delay_ms=200`)).status).toBe(200);
  });

  afterAll(async () => {
    await post(`${app.url}/counter/strong/admin/coordination-delay?delay_ms=50`);
    await app?.close();
  });

  it.each([
    ['the main port', () => `${app.url}/counter/gateway/api/compare`],
    ['the gateway node port', () => `${nodeUrl(app, 'counter', 'gateway')}/api/compare`],
  ])('answers a 200-iteration compare with a 504 JSON on %s, and the compare stops', async (_where, url) => {
    const counter = `${name}_${_where.length}`;
    const started = Date.now();
    const res = await post(url(), { counter_name: counter, iterations: 200 });
    const elapsed = Date.now() - started;
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 504, code: 'REQUEST.TIMEOUT' });
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    // The loop notices the abandoned request at its next iteration: the strong counter stops growing.
    await new Promise((r) => setTimeout(r, 800));
    const settled = (await get(`${app.url}/counter/strong/counter/${counter}_strong`)).body.value as number;
    await new Promise((r) => setTimeout(r, 1500));
    const later = (await get(`${app.url}/counter/strong/counter/${counter}_strong`)).body.value as number;
    expect(later).toBe(settled);
    expect(settled).toBeLessThan(200);
    // The lab still serves.
    expect((await post(`${app.url}/counter/us-east/increment`, { counter_name: counter, amount: 1 })).status).toBe(200);
  });
});
