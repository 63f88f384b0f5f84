import type { RunningApp } from '../../src/bootstrap';
import { startApp } from '../utils/app';
import { get, post, request } from '../utils/http';
import { COORDINATOR, GATEWAY, REGION_URL, STRONG, dropOldCounterKeys, resetLab, unique } from './counter-test-kit';

/** Bad input gets a 4xx JSON naming the problem, never a 500, and changes nothing. */
describe('counter lab: bad input', () => {
  let app: RunningApp;
  const name = unique('guarded');

  beforeAll(async () => {
    app = await startApp({ LABS: 'counter' });
    await dropOldCounterKeys(app);
    await resetLab(app);
    expect((await post(`${REGION_URL['us-east']}/increment`, { counter_name: name, amount: 5 })).status).toBe(200);
    expect((await post(`${STRONG}/increment`, { counter_name: name, amount: 5 })).status).toBe(200);
  });

  afterAll(async () => {
    await resetLab(app);
    await app.close();
  });

  const unchanged = async () => {
    expect((await get(`${REGION_URL['us-east']}/counter/${name}`)).body.nodes).toEqual({ 'us-east-1': 5 });
    expect((await get(`${STRONG}/counter/${name}`)).body.value).toBe(5);
  };

  it.each([
    ['amount 0', { counter_name: name, amount: 0 }, 'amount'],
    ['a negative amount', { counter_name: name, amount: -3 }, 'amount'],
    ['a fractional amount', { counter_name: name, amount: 1.5 }, 'amount'],
    ['a string amount', { counter_name: name, amount: '2' }, 'amount'],
    ['a huge amount', { counter_name: name, amount: 1e12 }, 'amount'],
    ['an empty counter name', { counter_name: '', amount: 1 }, 'counter_name'],
    ['a counter name with spaces', { counter_name: 'a b', amount: 1 }, 'counter_name'],
    ['an unknown field', { counter_name: name, amount: 1, region: 'us-east' }, 'region'],
  ])('rejects %s on every increment endpoint with a 400 naming the field', async (_what, body, field) => {
    for (const url of [`${REGION_URL['us-east']}/increment`, `${GATEWAY}/api/increment`, `${STRONG}/increment`]) {
      const res = await post(url, body);
      expect({ url, status: res.status, code: res.body.code }).toEqual({
        url,
        status: 400,
        code: 'REQUEST.VALIDATION_FAILED',
      });
      expect(JSON.stringify(res.body.details)).toContain(field);
    }
    await unchanged();
  });

  it('rejects an unknown routing, a missing body and malformed JSON', async () => {
    const routing = await post(`${GATEWAY}/api/increment`, { counter_name: name, routing: 'mars' });
    expect(routing.status).toBe(400);
    expect(routing.body.message).toContain('routing');
    for (const url of [
      `${REGION_URL['us-east']}/increment`,
      `${GATEWAY}/api/increment`,
      `${STRONG}/increment`,
      `${GATEWAY}/api/compare`,
    ]) {
      const empty = await request('POST', url, undefined, {});
      expect({ url, status: empty.status, code: empty.body.code }).toEqual({
        url,
        status: 400,
        code: 'REQUEST.BODY_REQUIRED',
      });
      const malformed = await request('POST', url, '{"counter_name": ', {});
      expect({ url, status: malformed.status, code: malformed.body.code }).toEqual({
        url,
        status: 400,
        code: 'REQUEST.MALFORMED_JSON',
      });
    }
    await unchanged();
  });

  it('rejects iterations 0 (the seed crashed with a 500) and non-integer iterations', async () => {
    for (const iterations of [0, -1, 2.5, 'ten', 5000]) {
      const res = await post(`${GATEWAY}/api/compare`, { counter_name: name, iterations });
      expect({ iterations, status: res.status }).toEqual({ iterations, status: 400 });
      expect(res.body.message).toContain('iterations');
    }
    expect((await get(`${STRONG}/counter/${name}_strong`)).body.value).toBe(0);
  });

  it('answers 404 for an unknown region and passes the coordinator status through the gateway', async () => {
    const viaGateway = await post(`${GATEWAY}/admin/partition/mars?enabled=true`);
    expect(viaGateway.status).toBe(404);
    expect(viaGateway.body).toMatchObject({ code: 'COUNTER.UNKNOWN_REGION', detail: 'Region mars not found' });
    const viaCoordinator = await post(`${COORDINATOR}/global/partition`, { region: 'mars', enabled: true });
    expect(viaCoordinator.status).toBe(404);
    const badFlag = await post(`${GATEWAY}/admin/partition/us-east?enabled=maybe`);
    expect(badFlag.status).toBe(400);
    expect(badFlag.body.message).toContain('enabled');
    expect((await get(`${GATEWAY}/api/status`)).body.partitioned_count).toBe(0);
  });

  it('rejects a bad partition body, a bad coordination delay and a bad sync interval', async () => {
    expect((await post(`${REGION_URL['us-west']}/admin/partition`, {})).status).toBe(400);
    expect((await post(`${REGION_URL['us-west']}/admin/partition`, { enabled: 'yes' })).status).toBe(400);
    expect((await get(`${REGION_URL['us-west']}/admin/partition`)).body.network_partition).toBe(false);
    for (const q of ['-1', 'abc', '99999']) {
      const res = await post(`${STRONG}/admin/coordination-delay?delay_ms=${q}`);
      expect({ q, status: res.status }).toEqual({ q, status: 400 });
    }
    for (const interval_ms of [0, 'fast', 10 ** 9]) {
      expect((await post(`${GATEWAY}/admin/sync-settings`, { interval_ms })).status).toBe(400);
    }
    expect((await get(`${GATEWAY}/admin/sync-settings`)).body.interval_ms).toBe(5000);
  });

  it('rejects a /sync state with negative, fractional or non-numeric counts and merges nothing', async () => {
    for (const counts of [
      { [name]: { 'us-east-1': -1 } },
      { [name]: { 'us-east-1': 9.5 } },
      { [name]: { 'us-east-1': '9' } },
      [],
      'x',
    ]) {
      const res = await post(`${REGION_URL['us-east']}/sync`, { counts, node_id: 'evil', timestamp: 1 });
      expect({ counts, status: res.status }).toEqual({ counts, status: 400 });
      expect(res.body.message).toContain('counts');
    }
    expect((await post(`${REGION_URL['us-east']}/sync`, { node_id: 'x' })).status).toBe(400);
    await unchanged();
  });

  it('reads never create counters, and a bad name in a path is a 400', async () => {
    const ghost = unique('never-written');
    expect((await get(`${REGION_URL['eu-west']}/counter/${ghost}`)).body).toMatchObject({ total_count: 0, nodes: {} });
    expect((await get(`${GATEWAY}/api/counter/${ghost}`)).body).toMatchObject({ global_count: 0 });
    expect((await get(`${STRONG}/counter/${ghost}`)).body.value).toBe(0);
    for (const region of ['us-east', 'us-west', 'eu-west'] as const) {
      expect((await get(`${REGION_URL[region]}/counters`)).body.counters[ghost]).toBeUndefined();
    }
    expect((await get(`${STRONG}/counters`)).body.counters[ghost]).toBeUndefined();
    const bad = await get(`${REGION_URL['eu-west']}/counter/${'x'.repeat(200)}`);
    expect(bad.status).toBe(400);
  });

  it('a reused idempotency key with a different amount is a 409 and counts nothing', async () => {
    const key = unique('key');
    expect(
      (
        await post(`${REGION_URL['us-east']}/increment`, {
          counter_name: `${name}-idem`,
          amount: 1,
          idempotency_key: key,
        })
      ).status,
    ).toBe(200);
    const reused = await post(`${REGION_URL['us-east']}/increment`, {
      counter_name: `${name}-idem`,
      amount: 2,
      idempotency_key: key,
    });
    expect(reused.status).toBe(409);
    expect((await get(`${REGION_URL['us-east']}/counter/${name}-idem`)).body.total_count).toBe(1);
  });
});
