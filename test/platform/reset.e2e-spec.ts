import type { RunningApp } from '../../src/bootstrap';
import { get, post, request } from '../utils/http';
import { startAppOnFreePorts } from '../utils/ports';

/**
 * One reset: POST /admin/labs/reset (and /admin/labs/:lab/reset) puts every lab back to its seed
 * state — data, runtime settings, strategies and faults — after each lab was moved away from it.
 */
describe('platform: one reset for every lab', () => {
  let app: RunningApp;
  const u = (path: string) => `${app.url}${path}`;
  beforeAll(async () => {
    app = await startAppOnFreePorts({ LABS: 'booking,bank,counter,replication' });
  });
  afterAll(() => app?.close());

  it('brings data, settings, strategies and faults back to the seed', async () => {
    // from the seed state, whatever earlier suites left in this database (B3 may be sold already)
    expect((await request('POST', u('/admin/labs/reset'))).status).toBe(200);
    // away from the seed, in every lab
    expect((await post(u('/booking/admin/strategy'), { strategy: 'pessimistic' })).status).toBe(200);
    expect((await post(u('/booking/admin/settings'), { race_window_ms: 7 })).status).toBe(200);
    expect((await post(u('/booking/admin/faults/pause-holder'), { pause_ms: 500, holders: 2 })).status).toBe(200);
    expect(
      (await post(u('/booking/book'), { event_id: 1, seat_number: 'B3', customer_id: 'reset-test' })).body.status,
    ).toBe('confirmed');
    expect((await post(u('/bank/transfer'), { from_account: 'alice', to_account: 'bob', amount: 100 })).status).toBe(
      200,
    );
    expect((await post(u('/bank/admin/settings'), { delay_enabled: true, delay_ms: 25 })).status).toBe(200);
    expect((await post(u('/counter/us-east/increment'), { counter_name: 'reset-views', amount: 3 })).status).toBe(200);
    expect((await post(u('/counter/us-east/admin/partition'), { enabled: true })).status).toBe(200);
    expect((await post(u('/replication/primary/data'), { key: 'reset-key', value: 'x' })).status).toBe(200);

    const reset = await request('POST', u('/admin/labs/reset'));
    expect(reset.status).toBe(200);
    expect(reset.body.labs.map((l: { lab: string }) => l.lab)).toEqual(['booking', 'bank', 'counter', 'replication']);
    const booking = reset.body.labs[0];
    expect(booking.strategies['seat-locking']).toEqual({ from: 'pessimistic', to: 'none' });
    expect(booking.settings_cleared).toEqual(expect.arrayContaining(['settings']));

    // booking: default strategy, default settings, no armed pause, every seat free, stats at zero
    expect((await get(u('/booking/admin/strategy'))).body.strategy).toBe('none');
    expect((await get(u('/booking/admin/settings'))).body.race_window_ms).not.toBe(7);
    expect((await get(u('/booking/admin/faults'))).body.pause_holder.remaining).toBe(0);
    const seats = (await get(u('/booking/events/1/seats'))).body.seats as Array<{ is_booked: boolean }>;
    expect(seats.filter((s) => s.is_booked)).toEqual([]);
    expect((await get(u('/booking/admin/stats?event_id=1'))).body.totals.total).toBe(0);
    // bank: opening balances, no delay
    const accounts = (await get(u('/bank/accounts'))).body as
      Array<{ id: string; balance: number }> | { accounts: Array<{ id: string; balance: number }> };
    const list = Array.isArray(accounts) ? accounts : accounts.accounts;
    expect(list.find((a) => a.id === 'alice')?.balance).toBe(1000);
    expect((await get(u('/bank/admin/settings'))).body.delay_enabled).toBe(false);
    // counter: no counts, no partition
    expect((await get(u('/counter/us-east/admin/partition'))).body.network_partition).toBe(false);
    expect((await get(u('/counter/us-east/counter/reset-views'))).body.total_count).toBe(0);
    // replication: empty primary
    expect((await get(u('/replication/primary/data/reset-key'))).body).toMatchObject({ found: false, version: 0 });
  });

  it('resets one lab alone, and names an unknown lab', async () => {
    expect((await post(u('/bank/transfer'), { from_account: 'alice', to_account: 'bob', amount: 50 })).status).toBe(
      200,
    );
    expect((await post(u('/booking/admin/strategy'), { strategy: 'optimistic' })).status).toBe(200);
    const one = await request('POST', u('/admin/labs/bank/reset'));
    expect(one.status).toBe(200);
    expect(one.body.labs.map((l: { lab: string }) => l.lab)).toEqual(['bank']);
    expect((await get(u('/booking/admin/strategy'))).body.strategy).toBe('optimistic');
    const unknown = await request('POST', u('/admin/labs/orders/reset'));
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('ADMIN.UNKNOWN_LAB');
  });
});
