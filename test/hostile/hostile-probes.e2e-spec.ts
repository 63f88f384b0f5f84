import type { RunningApp } from '../../src/bootstrap';
import { nodeUrl } from '../utils/app';
import { eventually } from '../utils/concurrency';
import { get, post } from '../utils/http';
import { startAppOnFreePorts } from '../utils/ports';
import { bodyProbes, pathProbes, Probe, queryProbes, send, verdict } from './hostile-kit';

/**
 * Hand-written hostile probes per lab, against an app running every lab. After every probe a
 * normal request to the same lab must still work; after each lab's batch, the normal requests are
 * checked end to end (orders reached the query API through Kafka, the counter is exact, money is
 * conserved, replicated keys read back).
 */
describe('hostile probes: nothing a request sends wedges a lab', () => {
  // Hundreds of sequential probes per lab, each with a liveness request: minutes on a busy machine.
  jest.setTimeout(600_000);
  let app: RunningApp;
  let base: string;
  const failures: string[] = [];
  let sent = 0;
  let fiveHundreds = 0;

  beforeAll(async () => {
    app = await startAppOnFreePorts({ LABS: 'all', LOG_LEVEL: 'error' });
    base = app.url;
    expect((await post(`${base}/booking/admin/reset?event_id=1`)).status).toBe(200);
    expect((await post(`${base}/bank/reset`)).status).toBe(200);
  });

  afterAll(async () => {
    process.stdout.write(`hostile probes: ${sent} sent, ${fiveHundreds} answered 5xx, ${failures.length} failed\n`);
    await app?.close();
  });

  async function run(probes: Probe[], alive: (i: number) => Promise<void>): Promise<void> {
    for (const [i, probe] of probes.entries()) {
      const result = await send(base, probe);
      sent++;
      if (result.status >= 500) fiveHundreds++;
      const problem = verdict(result);
      if (problem) failures.push(problem);
      await alive(i);
    }
  }

  const expectNoFailures = () => expect(failures).toEqual([]);

  it('booking', async () => {
    const seats = (await get(`${base}/booking/events/1/seats`)).body.seats as Array<{ seat_number: string }>;
    const alive = async (i: number) => {
      const res = await post(`${base}/booking/book`, {
        event_id: 1,
        seat_number: seats[i % seats.length].seat_number,
        customer_id: `alive-${i}`,
      });
      expect({ status: res.status, outcome: ['confirmed', 'failed'].includes(res.body.status) }).toEqual({
        status: 200,
        outcome: true,
      });
    };
    await run(
      [
        ...bodyProbes('POST', '/booking/book', { event_id: 1, seat_number: 'A1', customer_id: 'hostile' }),
        ...bodyProbes('POST', '/booking/book', { event_id: 2_000_000_000, seat_number: 'ZZ9', customer_id: 'hostile' }),
        ...bodyProbes('POST', '/booking/admin/strategy', { strategy: 'none' }),
        ...bodyProbes('POST', '/booking/admin/settings', { race_window_ms: 50, lock_ttl_ms: 5000 }),
        ...bodyProbes('POST', '/booking/admin/faults/pause-holder', { pause_ms: 1, holders: 1 }),
        ...bodyProbes('POST', '/booking/admin/compare', {
          requests: 2,
          strategies: ['none'],
          event_id: 1,
          seat_number: 'A1',
        }),
        ...pathProbes('GET', '/booking/events/{event_id}'),
        ...pathProbes('GET', '/booking/events/{event_id}/seats'),
        ...queryProbes('GET', '/booking/events/1/seats', ['available_only']),
        ...queryProbes('POST', '/booking/admin/reset', ['event_id']),
        ...queryProbes('GET', '/booking/admin/stats', ['event_id']),
      ],
      alive,
    );
    await post(`${base}/booking/admin/faults/pause-holder`, undefined).catch(() => undefined);
    expect((await fetch(`${base}/booking/admin/faults/pause-holder`, { method: 'DELETE' })).status).toBeLessThan(300);
    expect((await post(`${base}/booking/admin/strategy`, { strategy: 'none' })).status).toBe(200);
    expect((await post(`${base}/booking/admin/reset?event_id=1`)).status).toBe(200);
    expect((await get(`${base}/booking/events/1`)).status).toBe(200);
    expectNoFailures();
  });

  it('bank', async () => {
    let transfers = 0;
    const alive = async () => {
      const res = await post(`${base}/bank/transfer`, { from_account: 'alice', to_account: 'bob', amount: 0.01 });
      expect({ status: res.status, outcome: res.body.status }).toEqual({ status: 200, outcome: 'success' });
      transfers++;
    };
    await run(
      [
        ...bodyProbes('POST', '/bank/transfer', { from_account: 'alice', to_account: 'bob', amount: 1 }),
        ...bodyProbes('POST', '/bank/transfer', { from_account: 'nobody', to_account: 'bob', amount: 1 }),
        ...bodyProbes('POST', '/bank/admin/settings', {
          delay_enabled: false,
          delay_ms: 10,
          barrier_enabled: false,
          barrier_count: 2,
        }),
        ...pathProbes('GET', '/bank/accounts/{id}'),
        ...queryProbes('POST', '/bank/admin/delay', ['enabled', 'ms']),
        ...queryProbes('POST', '/bank/admin/barrier', ['enabled', 'count', 'timeout_ms']).filter(
          (p) => !p.path.includes('enabled=-1'),
        ),
        ...queryProbes('POST', '/bank/admin/isolation', ['level']),
        ...queryProbes('GET', '/bank/transactions', ['limit']),
      ],
      alive,
    );
    const invariants = await get(`${base}/bank/invariants`);
    expect({ ok: invariants.body.ok, conserved: invariants.body.conserved }).toEqual({ ok: true, conserved: true });
    expect(transfers).toBeGreaterThan(0);
    expectNoFailures();
  });

  it('orders', async () => {
    const accepted: string[] = [];
    const order = (customer: string) => ({
      customer_id: customer,
      items: [{ name: 'Widget', quantity: 1, price: 2.5 }],
      total_amount: 2.5,
    });
    const alive = async (i: number) => {
      const res = await post(`${base}/orders/producer/orders`, order(`alive-${i}`));
      expect(res.status).toBeLessThan(300);
      accepted.push(res.body.order_id);
    };
    await run(
      [
        ...bodyProbes('POST', '/orders/producer/orders', order('hostile')),
        ...bodyProbes('POST', '/orders/producer/orders/batch', { orders: [order('hostile-batch')] }),
        ...bodyProbes('POST', '/orders/producer/config', { delivery_mode: 'exactly-once', enable_transactions: true }),
        // failure_rate 0.5 is a valid setting (half the writes fail, then dead-letter): not a hostile probe.
        ...bodyProbes('POST', '/orders/consumer/config', {
          processing_mode: 'exactly-once',
          enable_idempotency: true,
          failure_rate: 0,
        }).filter((p) => p.name !== 'failure_rate as a fraction'),
        // A valid crash request would crash the consumer on purpose: only refused shapes are sent.
        ...bodyProbes('POST', '/orders/consumer/simulate/crash', { restart_after_ms: 'never' }).filter(
          (p) => !/^without|as a number|as null|an empty body/.test(p.name),
        ),
        ...pathProbes('GET', '/orders/api/orders/{orderId}'),
        ...queryProbes('GET', '/orders/api/orders', ['limit', 'offset', 'customer_id', 'status']),
      ],
      alive,
    );
    expect(
      (
        await post(`${base}/orders/consumer/config`, {
          processing_mode: 'exactly-once',
          enable_idempotency: true,
          failure_rate: 0,
        })
      ).status,
    ).toBe(200);
    await eventually(
      async () => Promise.all(accepted.map((id) => get(`${base}/orders/api/orders/${id}`).then((r) => r.status))),
      (statuses) => statuses.every((s) => s === 200),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expectNoFailures();
  });

  it('counter', async () => {
    const name = `alive_${Date.now()}`;
    let increments = 0;
    const alive = async () => {
      const res = await post(`${base}/counter/us-east/increment`, { counter_name: name, amount: 1 });
      expect(res.status).toBe(200);
      increments++;
    };
    await run(
      [
        ...bodyProbes('POST', '/counter/us-east/increment', { counter_name: 'hostile', amount: 1 }),
        ...bodyProbes('POST', '/counter/gateway/api/increment', {
          counter_name: 'hostile',
          amount: 1,
          routing: 'us-west',
        }),
        ...bodyProbes('POST', '/counter/strong/increment', { counter_name: 'hostile', amount: 1 }),
        ...bodyProbes('POST', '/counter/us-east/pn/decrement', { counter_name: 'hostile', amount: 1 }),
        ...bodyProbes('POST', '/counter/gateway/api/compare', { counter_name: 'hostile', iterations: 1 }),
        ...bodyProbes('POST', '/counter/gateway/admin/sync-settings', { interval_ms: 5000 }),
        ...bodyProbes('POST', '/counter/coordinator/global/partition', { region: 'us-west', enabled: false }),
        ...bodyProbes('POST', '/counter/us-east/admin/partition', { enabled: false }),
        ...pathProbes('GET', '/counter/us-east/counter/{counter_name}'),
        ...pathProbes('GET', '/counter/strong/counter/{counter_name}'),
        ...pathProbes('GET', '/counter/coordinator/global/counter/{counter_name}'),
        ...pathProbes('POST', '/counter/gateway/admin/partition/{region}'),
        ...queryProbes('POST', '/counter/strong/admin/coordination-delay', ['delay_ms']),
        ...queryProbes('POST', '/counter/gateway/admin/partition/us-west', ['enabled']),
      ],
      alive,
    );
    // Names that sit on the Redis strategy's own index key (counter:strong:names) are just names.
    expect(
      (await post(`${base}/admin/labs/counter/strategies/strong-counter`, { strategy: 'redis-incr' })).status,
    ).toBe(200);
    try {
      for (const collide of ['names', 'value:names', `x:${Date.now()}:names`]) {
        const before = (await get(`${base}/counter/strong/counter/${encodeURIComponent(collide)}`)).body
          .value as number;
        const res = await post(`${base}/counter/strong/increment`, { counter_name: collide, amount: 1 });
        expect({ collide, status: res.status, value: res.body.value }).toEqual({
          collide,
          status: 200,
          value: before + 1,
        });
      }
      const listed = (await get(`${base}/counter/strong/counters`)).body;
      expect(JSON.stringify(listed)).toContain('"names"');
    } finally {
      await post(`${base}/admin/labs/counter/strategies/strong-counter`, { strategy: 'postgres-row-lock' });
    }
    await post(`${base}/counter/strong/admin/coordination-delay?delay_ms=50`);
    await post(`${base}/counter/gateway/admin/partition/all?enabled=false`);
    const value = await get(`${base}/counter/us-east/counter/${name}`);
    expect(value.body.local_count).toBe(increments);
    expectNoFailures();
  });

  it('the edge itself, on the main port and on node ports', async () => {
    const booking = nodeUrl(app, 'booking', 'booking');
    const book = { event_id: 1, seat_number: 'A2', customer_id: 'edge' };
    const probes: Array<[string, Probe]> = [
      [base, { name: 'a 20 KB URL', method: 'GET', path: `/booking/events/1?x=${'y'.repeat(20_000)}` }],
      [booking, { name: 'a 20 KB URL on a node port', method: 'GET', path: `/events/1?x=${'y'.repeat(20_000)}` }],
      [
        base,
        { name: 'a 20 KB header', method: 'GET', path: '/booking/events/1', headers: { 'x-big': 'z'.repeat(20_000) } },
      ],
      [
        booking,
        { name: 'a NUL byte on a node port', method: 'POST', path: '/book', body: { ...book, customer_id: 'a\u0000' } },
      ],
      [
        booking,
        {
          name: 'a cross-origin write on a node port',
          method: 'POST',
          path: '/book',
          body: book,
          headers: { origin: 'http://evil.example' },
        },
      ],
      [
        base,
        {
          name: 'a cross-site form post',
          method: 'POST',
          path: '/booking/book',
          body: JSON.stringify(book),
          headers: { 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' },
        },
      ],
      [
        base,
        {
          name: 'a same-site page on another port',
          method: 'POST',
          path: '/bank/reset',
          headers: { origin: 'http://127.0.0.1:1' },
        },
      ],
    ];
    for (const [url, probe] of probes) {
      const result = await send(url, probe);
      sent++;
      if (result.status >= 500) fiveHundreds++;
      const problem =
        verdict(result) ?? (result.status < 400 ? `${result.probe} was accepted (${result.status})` : undefined);
      if (problem) failures.push(problem);
      expect((await get(`${base}/booking/events/1`)).status).toBe(200);
      expect((await get(`${booking}/events/1`)).status).toBe(200);
    }
    expectNoFailures();
  });

  it('replication', async () => {
    const written: Array<[string, number]> = [];
    const alive = async (i: number) => {
      const key = `alive-${Date.now()}-${i}`;
      const res = await post(`${base}/replication/primary/data`, { key, value: i });
      expect(res.status).toBe(200);
      written.push([key, i]);
    };
    await run(
      [
        ...bodyProbes('POST', '/replication/primary/data', { key: 'hostile', value: { nested: 'ok' } }),
        ...bodyProbes('POST', '/replication/client/writes', { key: 'hostile', value: 1, session: 'not-a-token' }),
        ...bodyProbes('POST', '/replication/client/write-and-read', { key: 'hostile', value: 1 }),
        ...bodyProbes('POST', '/replication/primary/admin/replication-delay', {
          replica_url: 'replica1',
          delay_ms: 500,
        }),
        ...bodyProbes('POST', '/replication/primary/admin/replication-delays', {
          delays: { replica1: 500, replica2: 1500 },
        }),
        ...bodyProbes('POST', '/replication/client/admin/read-strategy', { strategy: 'any-replica', max_wait_ms: 250 }),
        ...pathProbes('GET', '/replication/primary/data/{key}'),
        ...pathProbes('GET', '/replication/replica1/data/{key}'),
        ...queryProbes('GET', '/replication/replica1/data/hostile', ['min_version', 'wait_ms']),
        ...queryProbes('GET', '/replication/client/reads', ['key', 'session']),
        ...queryProbes('GET', '/replication/primary/log', ['after', 'limit']),
        ...queryProbes('GET', '/replication/primary/version', ['replica_version', 'replica_epoch']),
      ],
      alive,
    );
    await post(`${base}/replication/primary/admin/replication-delays`, { delays: { replica1: 500, replica2: 1500 } });
    for (const [key, value] of written) {
      const res = await get(`${base}/replication/primary/data/${key}`);
      expect({ key, status: res.status, value: res.body.value }).toEqual({ key, status: 200, value });
    }
    const last = written[written.length - 1][0];
    await eventually(
      () => get(`${base}/replication/replica2/data/${last}`),
      (r) => r.status === 200 && r.body.found === true,
      {
        timeoutMs: 30_000,
        intervalMs: 250,
      },
    );
    expectNoFailures();
  });
});
