import type { RunningApp } from '../../src/bootstrap';
import { nodeUrl, startApp } from '../utils/app';
import { post, request } from '../utils/http';

const TOKEN = 'edge-test-admin-token-0123456789';

/** With ADMIN_TOKEN set, admin, fault and reset writes need it, on every port; everything else does not. */
describe('ADMIN_TOKEN and cross-origin writes', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ LABS: 'booking,counter', ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'error' });
  });
  afterAll(() => app?.close());

  it('refuses admin, fault and reset writes without the token, in any letter case and on node ports', async () => {
    const booking = nodeUrl(app, 'booking', 'booking');
    for (const url of [
      `${app.url}/booking/admin/reset?event_id=1`,
      `${app.url}/BOOKING/Admin/Reset?event_id=1`,
      `${booking}/admin/reset?event_id=1`,
      `${app.url}/admin/labs/booking/strategies/seat-locking`,
      `${app.url}/counter/gateway/admin/partition/us-east?enabled=true`,
    ]) {
      const res = await post(url, { strategy: 'none' });
      expect({ url, status: res.status, code: res.body.code }).toEqual({
        url,
        status: 401,
        code: 'ADMIN.TOKEN_REQUIRED',
      });
    }
    const wrong = await request('POST', `${booking}/admin/reset?event_id=1`, undefined, {
      authorization: 'Bearer not-the-token',
    });
    expect({ status: wrong.status, code: wrong.body.code }).toEqual({ status: 401, code: 'ADMIN.TOKEN_INVALID' });
  });

  it('accepts Authorization: Bearer and x-admin-token, and node-to-node admin calls carry it', async () => {
    const bearer = await request('POST', `${app.url}/booking/admin/reset?event_id=1`, undefined, {
      authorization: `Bearer ${TOKEN}`,
    });
    expect(bearer.status).toBe(200);
    const header = await request('POST', `${nodeUrl(app, 'booking', 'booking')}/admin/reset?event_id=1`, undefined, {
      'x-admin-token': TOKEN,
    });
    expect(header.status).toBe(200);
    // gateway → coordinator → region: every hop is an admin write.
    const cut = await request('POST', `${app.url}/counter/gateway/admin/partition/us-east?enabled=true`, undefined, {
      'x-admin-token': TOKEN,
    });
    expect(cut.status).toBe(200);
    const heal = await request('POST', `${app.url}/counter/gateway/admin/partition/all?enabled=false`, undefined, {
      'x-admin-token': TOKEN,
    });
    expect(heal.status).toBe(200);
  });

  it('leaves ordinary writes and reads open', async () => {
    expect(
      (await post(`${app.url}/booking/book`, { event_id: 1, seat_number: 'B1', customer_id: 'plain' })).status,
    ).toBe(200);
    expect((await post(`${app.url}/counter/us-east/increment`, { counter_name: 'exposure', amount: 1 })).status).toBe(
      200,
    );
    expect((await request('GET', `${app.url}/booking/admin/stats`)).status).toBe(200);
  });

  it('refuses writes from pages of other origins, keeps same-origin pages and curl working', async () => {
    const book = { event_id: 1, seat_number: 'B2', customer_id: 'browser' };
    const json = { 'content-type': 'application/json' };
    const foreign = await request('POST', `${app.url}/booking/book`, book, { ...json, origin: 'http://evil.example' });
    expect({ status: foreign.status, code: foreign.body.code }).toEqual({ status: 403, code: 'REQUEST.CROSS_ORIGIN' });
    const form = await request('POST', `${app.url}/booking/book`, JSON.stringify(book), {
      'content-type': 'text/plain',
      'sec-fetch-site': 'cross-site',
    });
    expect(form.status).toBe(403);
    const host = new URL(app.url).host;
    const same = await request('POST', `${app.url}/booking/book`, book, {
      ...json,
      origin: `http://${host}`,
      'sec-fetch-site': 'same-origin',
    });
    expect(same.status).toBe(200);
    const rebound = await request('POST', `${app.url}/booking/book`, book, {
      ...json,
      origin: 'http://rebind.example',
      host: 'rebind.example',
    });
    expect(rebound.status).toBe(403);
  });
});
