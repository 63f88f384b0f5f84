import type { RunningApp } from '../../src/bootstrap';
import { DatabasePools } from '../../src/platform/database/database-pools.service';
import { LabDatabase } from '../../src/platform/database/lab-database';
import { nodeUrl, startApp } from '../utils/app';
import { eventually, portOpen, runConcurrently } from '../utils/concurrency';
import { get, post, request } from '../utils/http';
import { Body, order, ordersKit } from './orders-kit';

/**
 * The orders lab on the real Kafka broker, PostgreSQL and Redis: the seed runbook's parts, crashes
 * between the database write and the offset commit, aborted transactions, and bad input.
 */

/** A small seeded PRNG so a failing crash schedule can be replayed (the seed is printed). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('orders lab (LABS=orders, real Kafka)', () => {
  let app: RunningApp;
  let P: string;
  let C: string;
  let A: string;
  let db: LabDatabase;

  const { consumerNode, consumerRunning, drained, stats, metric, resetAll, ...kit } = ordersKit(() => app);
  const defaults = () => kit.defaults({ restartAfterMs: 500 });

  beforeAll(async () => {
    app = await startApp({ LABS: 'orders' });
    P = nodeUrl(app, 'orders', 'producer');
    C = nodeUrl(app, 'orders', 'consumer');
    A = nodeUrl(app, 'orders', 'api');
    db = app.app.get(DatabasePools).forLab('orders');
    await defaults();
    await resetAll();
  });

  afterAll(async () => {
    await app?.close();
  });

  describe('the seed API', () => {
    it('answers health, configuration and the semantics comparison on the seed ports', async () => {
      expect((await get(`${P}/health`)).body).toEqual({ status: 'ok', service: 'producer' });
      expect((await get(`${C}/health`)).body).toMatchObject({ status: 'ok', service: 'consumer' });
      expect((await get(`${A}/health`)).body).toEqual({ status: 'ok', service: 'api' });
      expect((await get(`${P}/config`)).body).toMatchObject({
        delivery_mode: 'exactly-once',
        enable_transactions: true,
      });
      expect((await get(`${C}/config`)).body).toMatchObject({
        processing_mode: 'exactly-once',
        enable_idempotency: true,
        failure_rate: 0,
        crash_after_messages: 0,
        messages_processed: expect.any(Number),
      });
      const semantics = (await get(`${A}/compare/semantics`)).body;
      expect(semantics.at_most_once.producer_config).toEqual({ acks: 0, retries: 0 });
      expect(semantics.at_least_once.guarantees.duplicates).toBe('Possible on failure');
      expect(semantics.exactly_once.consumer_config.isolation_level).toBe('read_committed');
      const topics = (await get(`${A}/kafka/topics`)).body.topics;
      const partitions = Object.fromEntries(
        Object.entries(topics).map(([name, t]) => [name.split('.').pop(), (t as Body).partitions]),
      );
      expect(partitions).toEqual({ orders: 3, 'order-results': 3, dlq: 1 });
      const groups = (await get(`${A}/kafka/consumer-groups`)).body.consumer_groups;
      expect(groups.map((g: Body) => g.id)).toContainEqual(expect.stringMatching(/order-processors$/));
      const strategies = (await get(`${app.url}/admin/labs/orders`)).body.strategy_ports;
      expect(strategies.map((p: Body) => [p.port, p.current]).sort()).toEqual([
        ['delivery', 'exactly-once'],
        ['idempotency', 'idempotent'],
        ['processing', 'exactly-once'],
      ]);
    });

    it('part 3: an order is processed once; three copies of one order apply it once and the redeliveries are detected', async () => {
      const detectedBefore = await metric('duplicates_detected_total');
      const sent = await post(
        `${P}/orders`,
        order('demo-customer-001', { items: [{ name: 'Widget Pro', quantity: 2, price: 49.99 }], total_amount: 99.98 }),
      );
      expect(sent.status).toBe(200);
      expect(sent.body).toMatchObject({
        status: 'accepted',
        delivery_mode: 'exactly-once',
        latency_ms: expect.any(Number),
      });
      expect(sent.body.trace_id).toMatch(/^[0-9a-f]{32}$/);
      const found = await eventually(
        () => get(`${A}/orders/${sent.body.order_id}`),
        (r) => r.status === 200,
      );
      expect(found.body.order).toMatchObject({
        customer_id: 'demo-customer-001',
        total_amount: 99.98,
        status: 'processed',
        applied_count: 1,
      });
      expect(found.body.processing_record.message_id).toBe(sent.body.order_id);
      const consumerStats = (await get(`${C}/stats`)).body;
      expect(consumerStats).toMatchObject({
        total_processed_messages: 1,
        total_orders: 1,
        messages_by_consumer: [{ consumer_id: 'consumer', count: 1 }],
      });
      expect(consumerStats.recent_messages[0]).toMatchObject({
        message_id: sent.body.order_id,
        consumer_id: 'consumer',
      });

      const dup = await post(
        `${P}/simulate/duplicate`,
        order('dup-customer', { order_id: 'DUPLICATE-TEST-001', total_amount: 25 }),
      );
      expect(dup.body).toMatchObject({
        status: 'duplicates_sent',
        order_id: 'DUPLICATE-TEST-001',
        attempts: [
          { attempt: 1, sent: true },
          { attempt: 2, sent: true },
          { attempt: 3, sent: true },
        ],
      });
      const duplicates = await eventually(
        () => get(`${A}/stats/duplicates`),
        (r) => r.body.redeliveries_detected >= 2,
      );
      expect(duplicates.body).toMatchObject({
        idempotency_working: true,
        duplicate_entries: [],
        duplicate_side_effects: 0,
      });
      expect(await metric('duplicates_detected_total')).toBeGreaterThanOrEqual(detectedBefore + 2);
    });

    it('part 4: a batch of 4 is committed in one transaction and all four orders become visible', async () => {
      const batch = await post(`${P}/orders/batch`, {
        orders: [1, 2, 3, 4].map((i) => order(`batch-00${i}`, { total_amount: 10 * i })),
      });
      expect(batch.status).toBe(200);
      expect(batch.body).toMatchObject({ status: 'committed', count: 4, delivery_mode: 'exactly-once' });
      await eventually(
        () => get(`${A}/orders?limit=10`),
        (r) => batch.body.order_ids.every((id: string) => r.body.orders.some((o: Body) => o.order_id === id)),
      );
      const listed = (await get(`${A}/orders?limit=10&customer_id=batch-003`)).body;
      expect(listed).toMatchObject({ total: 1, limit: 10, offset: 0 });
      expect(listed.orders[0]).toMatchObject({
        customer_id: 'batch-003',
        total_amount: 30,
        items: [expect.any(Object)],
      });
      const empty = await post(`${P}/orders/batch`, { orders: [] });
      expect(empty.body).toMatchObject({ status: 'committed', count: 0 });
    });
  });

  describe('crash between the database write and the offset commit (runbook parts 5 and 6)', () => {
    const crashRun = async (prefix: string) => {
      await resetAll();
      expect((await post(`${C}/reset-stats`)).status).toBe(200);
      const crashesBefore = (await consumerNode()).crashes;
      const armed = await post(`${C}/config`, { crash_after_messages: 5, restart_after_ms: 1500 });
      expect(armed.body).toMatchObject({ crash_after_messages: 5, crash_point: 'after-db-write' });
      for (let i = 1; i <= 10; i++) {
        expect((await post(`${P}/orders`, order(`${prefix}-${i}`))).status).toBe(200);
        await new Promise((r) => setTimeout(r, 300));
      }
      await eventually(consumerNode, (n) => n.crashes === crashesBefore + 1, { timeoutMs: 30000 });
      await consumerRunning();
      await drained();
    };

    it('with idempotency (exactly-once): exactly 10 unique orders, and no redelivery: the position was stored with the write', async () => {
      await crashRun('crash-test');
      const s = await stats();
      expect(s).toMatchObject({
        total_unique_orders: 10,
        total_processed_messages: 10,
        total_side_effects: 10,
        duplicate_side_effects: 0,
      });
      // The 5th order's transaction stored the consumer's position; the restarted consumer seeks past it.
      expect(s.redeliveries_detected).toBe(0);
      expect(s.delivery_attempts).toBe(10);
      expect((await get(`${A}/stats/duplicates`)).body).toMatchObject({
        unique_message_count: 10,
        total_database_rows: 10,
        idempotency_working: true,
      });
      expect((await get(`${C}/config`)).body.crash_after_messages).toBe(0);
      const positions = (await db.query(
        `SELECT sum(next_offset)::int AS n FROM orders.consumer_offsets WHERE topic LIKE '%orders'`,
      )) as Array<{ n: number }>;
      expect(positions[0].n).toBeGreaterThanOrEqual(10);
    });

    it('with idempotency, processing at-least-once (position in Kafka only): the 5th order is redelivered and detected', async () => {
      expect((await post(`${C}/config`, { processing_mode: 'at-least-once' })).status).toBe(200);
      try {
        await consumerRunning();
        await crashRun('crash-alo');
        const s = await stats();
        expect(s).toMatchObject({
          total_unique_orders: 10,
          total_side_effects: 10,
          duplicate_side_effects: 0,
          redeliveries_detected: 1,
          delivery_attempts: 11,
        });
      } finally {
        await defaults();
      }
    });

    it('without idempotency: the redelivered order is applied twice and /stats shows the duplicate', async () => {
      expect((await post(`${C}/config`, { enable_idempotency: false })).status).toBe(200);
      try {
        await crashRun('atleast');
        const s = await stats();
        expect(s.total_unique_orders).toBe(10);
        expect(s.duplicate_side_effects).toBeGreaterThanOrEqual(1);
        expect(s.total_side_effects).toBe(10 + s.duplicate_side_effects);
        const duplicates = (await get(`${A}/stats/duplicates`)).body;
        expect(duplicates.idempotency_working).toBe(false);
        expect(duplicates.duplicate_entries[0]).toMatchObject({ attempt_count: 2 });
      } finally {
        await defaults();
      }
    });

    it('at-most-once processing loses the order in flight when it crashes between the offset commit and the write', async () => {
      await resetAll();
      const crashesBefore = (await consumerNode()).crashes;
      await post(`${C}/config`, { processing_mode: 'at-most-once' });
      try {
        await consumerRunning();
        await post(`${C}/config`, { crash_after_messages: 3, crash_point: 'before-db-write', restart_after_ms: 300 });
        for (let i = 1; i <= 5; i++) expect((await post(`${P}/orders`, order(`lossy-${i}`))).status).toBe(200);
        await eventually(consumerNode, (n) => n.crashes === crashesBefore + 1, { timeoutMs: 30000 });
        await consumerRunning();
        await drained();
        await new Promise((r) => setTimeout(r, 500));
        const s = await stats();
        // The crashed message was committed but never written; a message of another partition that was in
        // flight at the same moment may be lost too (committed) or redelivered (not yet committed).
        expect(s.total_unique_orders).toBeLessThanOrEqual(4);
        expect(s.total_unique_orders).toBeGreaterThanOrEqual(2);
        expect(s.delivery_attempts).toBeGreaterThanOrEqual(5);
        expect(s.duplicate_side_effects).toBe(0);
      } finally {
        await defaults();
      }
    });

    it('a crash is a real stop: the port closes, nothing is committed, and the restart endpoint brings it back', async () => {
      await resetAll();
      const before = (await consumerNode()).crashes;
      const crash = await post(`${C}/simulate/crash`, { restart_after_ms: 60000 });
      expect(crash.body).toMatchObject({ status: 'crashing', restart_after_ms: 60000 });
      await eventually(consumerNode, (n) => n.crashes === before + 1 && !n.up);
      expect(await portOpen(Number(new URL(C).port))).toBe(false);
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await post(`${P}/orders`, order(`while-down-${i}`))).body.order_id);
      await new Promise((r) => setTimeout(r, 1000));
      expect((await stats()).total_unique_orders).toBe(0);
      const lag = (await get(`${A}/kafka/lag`)).body;
      expect(lag.total_lag).toBeGreaterThanOrEqual(3);
      const restarted = await post(`${app.url}/admin/labs/orders/nodes/consumer/restart`);
      expect(restarted.body).toMatchObject({ up: true });
      await consumerRunning();
      await eventually(stats, (s) => s.total_unique_orders === 3, { timeoutMs: 30000 });
    });
  });

  describe('transactions', () => {
    it('an aborted batch is never visible to the read_committed consumer', async () => {
      await resetAll();
      const aborted = await post(`${P}/orders/batch`, {
        orders: [1, 2, 3].map((i) => order(`aborted-${i}`)),
        abort_after_messages: 3,
      });
      expect(aborted.body).toMatchObject({ status: 'aborted', count: 0, sent_before_abort: 3 });
      const after = await post(`${P}/orders`, order('after-abort'));
      await eventually(
        () => get(`${A}/orders/${after.body.order_id}`),
        (r) => r.status === 200,
      );
      await drained();
      for (const id of aborted.body.order_ids) expect((await get(`${A}/orders/${id}`)).status).toBe(404);
      expect((await stats()).delivery_attempts).toBe(1);
    });

    it('a read_uncommitted consumer (processing mode at-least-once, selected via /admin/labs) does see an aborted batch', async () => {
      await resetAll();
      const selected = await post(`${app.url}/admin/labs/orders/strategies/processing`, { strategy: 'at-least-once' });
      expect(selected.body).toMatchObject({ from: 'exactly-once', to: 'at-least-once' });
      try {
        expect((await get(`${C}/config`)).body.processing_mode).toBe('at-least-once');
        await eventually(
          () => get(`${app.url}/metrics`),
          (r) => /current_processing_mode\{service="consumer"\} 1/.test(String(r.body)),
        );
        await consumerRunning();
        const aborted = await post(`${P}/orders/batch`, {
          orders: [order('dirty-1'), order('dirty-2')],
          abort_after_messages: 2,
        });
        expect(aborted.body.status).toBe('aborted');
        await eventually(stats, (s) => s.total_unique_orders === 2, { timeoutMs: 30000 });
      } finally {
        await defaults();
      }
    });

    it('serialises concurrent requests on the one transactional producer: every one commits', async () => {
      await resetAll();
      const results = await runConcurrently(20, (i) => post(`${P}/orders`, order(`concurrent-${i}`)));
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
      await eventually(stats, (s) => s.total_unique_orders === 20, { timeoutMs: 30000 });
      expect((await stats()).duplicate_side_effects).toBe(0);
    });

    it('reports producer latency per delivery mode (measured, not asserted)', async () => {
      const sample = async (mode: string) => {
        await post(`${P}/config`, { delivery_mode: mode });
        const latencies: number[] = [];
        for (let i = 0; i < 5; i++) latencies.push((await post(`${P}/orders`, order('perf'))).body.latency_ms);
        return latencies.sort((a, b) => a - b)[2];
      };
      try {
        const exactlyOnce = await sample('exactly-once');
        const atMostOnce = await sample('at-most-once');
        const atLeastOnce = await sample('at-least-once');
        process.stdout.write(
          `orders latency_ms medians: exactly-once ${exactlyOnce}, at-least-once ${atLeastOnce}, at-most-once ${atMostOnce}\n`,
        );
        for (const v of [exactlyOnce, atMostOnce, atLeastOnce]) expect(typeof v).toBe('number');
      } finally {
        await defaults();
      }
    });
  });

  describe('failures', () => {
    it('a message that keeps failing is retried, then dead-lettered, never half-applied', async () => {
      await resetAll();
      const errorsBefore = await metric('processing_errors_total', { error_type: 'simulated' });
      await post(`${C}/config`, { failure_rate: 1 });
      try {
        const sent = await post(`${P}/orders`, order('always-fails'));
        const s = await eventually(stats, (x) => x.dead_lettered === 1, { timeoutMs: 30000 });
        expect(s).toMatchObject({ failed_attempts: 3, total_unique_orders: 0, total_processed_messages: 0 });
        expect((await get(`${A}/orders/${sent.body.order_id}`)).status).toBe(404);
        expect(await metric('processing_errors_total', { error_type: 'simulated' })).toBe(errorsBefore + 3);
      } finally {
        await defaults();
      }
      await drained();
    });

    it('carries the W3C trace context in Kafka headers: the consumer span joins the producer trace', async () => {
      const sent = await post(`${P}/orders`, order('traced'));
      await eventually(
        () => get(`${A}/orders/${sent.body.order_id}`),
        (r) => r.status === 200,
      );
      const rows = (await db.query(
        `SELECT details->>'trace_id' AS trace_id FROM orders.processing_log WHERE message_id = $1 AND event_type = 'received'`,
        [sent.body.order_id],
      )) as Array<{ trace_id: string }>;
      expect(rows.map((r) => r.trace_id)).toEqual([sent.body.trace_id]);
    });
  });

  describe('1,000 orders with 5 consumer crashes at random points', () => {
    it('loses nothing and applies nothing twice', async () => {
      await resetAll();
      const seed = Date.now() % 100000;
      const random = prng(seed);
      process.stdout.write(`orders crash schedule seed ${seed}\n`);
      const points = ['after-db-write', 'before-db-write', 'after-db-write', 'after-offset-commit'];
      points.push(['before-db-write', 'after-db-write', 'after-offset-commit'][Math.floor(random() * 3)]);
      const published: string[] = [];
      const publishing = (async () => {
        for (let b = 0; b < 40; b++) {
          const res = await post(`${P}/orders/batch`, {
            orders: Array.from({ length: 25 }, (_, i) => order(`bulk-${b}-${i}`)),
          });
          expect(res.body.status).toBe('committed');
          published.push(...res.body.order_ids);
          await new Promise((r) => setTimeout(r, 60));
        }
      })();
      const crashesBefore = (await consumerNode()).crashes;
      for (let k = 0; k < points.length; k++) {
        await consumerRunning();
        const after = 5 + Math.floor(random() * 36);
        // Through the main port: with orders flowing, the crash can fire before this answer is written, and
        // the consumer's own port closes with it.
        const armed = await post(`${app.url}/orders/consumer/config`, {
          crash_after_messages: after,
          crash_point: points[k],
          restart_after_ms: 300,
        });
        expect(armed.status).toBe(200);
        await eventually(consumerNode, (n) => n.crashes === crashesBefore + k + 1, {
          timeoutMs: 60000,
          intervalMs: 50,
        });
      }
      await publishing;
      await consumerRunning();
      const final = await eventually(stats, (s) => s.total_unique_orders >= 1000, {
        timeoutMs: 90000,
        intervalMs: 500,
      });
      await drained();
      expect(published).toHaveLength(1000);
      const stored = ((await db.query(`SELECT order_id FROM orders.orders`)) as Array<{ order_id: string }>).map(
        (r) => r.order_id,
      );
      expect(new Set(stored)).toEqual(new Set(published));
      const s = await stats();
      expect(s).toMatchObject({
        total_unique_orders: 1000,
        total_side_effects: 1000,
        duplicate_side_effects: 0,
        dead_lettered: 0,
      });
      // Exactly-once keeps its position with its writes: not even a crash after a write redelivers what the database holds.
      expect(s.redeliveries_detected).toBe(0);
      expect(s.delivery_attempts).toBeGreaterThanOrEqual(1000);
      expect((await consumerNode()).crashes).toBe(crashesBefore + 5);
      process.stdout.write(
        `orders 1000/5 crashes: attempts ${s.delivery_attempts}, redeliveries detected ${s.redeliveries_detected}, unique ${final.total_unique_orders}\n`,
      );
    });
  });

  describe('bad input', () => {
    it('answers 4xx JSON naming the problem and changes nothing', async () => {
      await drained();
      const before = await stats();
      const cases: Array<[string, string, unknown, number, string]> = [
        ['POST', `${P}/orders`, { items: [{ name: 'x', quantity: 1, price: 1 }], total_amount: 1 }, 400, 'customer_id'],
        ['POST', `${P}/orders`, order('neg', { total_amount: -5 }), 400, 'total_amount'],
        ['POST', `${P}/orders`, order('empty', { items: [] }), 400, 'items'],
        ['POST', `${P}/orders`, order('bad-item', { items: [{ name: 'x', quantity: -1, price: 1 }] }), 400, 'quantity'],
        ['POST', `${P}/orders`, order('wrong-type', { total_amount: '10' }), 400, 'total_amount'],
        ['POST', `${P}/orders`, order('extra', { coupon: 'FREE' }), 400, 'coupon'],
        ['POST', `${P}/config`, { delivery_mode: 'exactly-twice' }, 400, 'delivery_mode'],
        ['POST', `${P}/config`, { enable_transactions: 'yes' }, 400, 'enable_transactions'],
        ['POST', `${C}/config`, { failure_rate: 2 }, 400, 'failure_rate'],
        ['POST', `${C}/config`, { crash_point: 'somewhere' }, 400, 'crash_point'],
        ['POST', `${C}/config`, { crash_after_messages: 1.5 }, 400, 'crash_after_messages'],
        ['POST', `${P}/orders/batch`, { orders: [{ customer_id: 'x' }] }, 400, 'orders.0.items'],
        ['GET', `${A}/orders?limit=101`, undefined, 400, 'limit'],
        ['GET', `${A}/orders?limit=-1`, undefined, 400, 'limit'],
        ['GET', `${A}/orders?offset=abc`, undefined, 400, 'offset'],
        ['GET', `${A}/orders/no-such-order`, undefined, 404, 'Order not found'],
      ];
      for (const [method, url, body, status, mention] of cases) {
        const res = await request(method, url, body);
        expect({ url, body, status: res.status }).toEqual({ url, body, status });
        expect(res.headers.get('content-type')).toContain('application/json');
        expect(JSON.stringify(res.body)).toContain(mention);
      }
      const malformed = await request('POST', `${P}/orders`, '{"customer_id": ', {});
      expect(malformed.status).toBe(400);
      expect(malformed.body.code).toBe('REQUEST.MALFORMED_JSON');
      const huge = await post(
        `${P}/orders`,
        order('huge', { items: [{ name: 'x'.repeat(2 * 1024 * 1024), quantity: 1, price: 1 }] }),
      );
      expect(huge.status).toBe(413);

      await post(`${P}/config`, { delivery_mode: 'at-least-once' });
      try {
        const batch = await post(`${P}/orders/batch`, { orders: [order('b')] });
        expect(batch.status).toBe(400);
        expect(batch.body.detail).toBe('Batch orders require exactly-once delivery mode');
        await post(`${P}/config`, { delivery_mode: 'exactly-once', enable_transactions: false });
        const noTx = await post(`${P}/orders/batch`, { orders: [order('b')] });
        expect(noTx.status).toBe(400);
        expect(noTx.body.detail).toBe('Batch orders require transactions to be enabled');
      } finally {
        await defaults();
      }
      await new Promise((r) => setTimeout(r, 500));
      const after = await stats();
      expect(after.delivery_attempts).toBe(before.delivery_attempts);
      expect(after.total_unique_orders).toBe(before.total_unique_orders);
      expect((await get(`${P}/config`)).body).toMatchObject({
        delivery_mode: 'exactly-once',
        enable_transactions: true,
      });
    });
  });
});

describe('orders lab with the broker unreachable', () => {
  it('answers 503 JSON within seconds instead of hanging, while the rest of the lab keeps serving', async () => {
    const shift = String(Number(process.env.NODE_PORTS_SHIFT) + 500);
    const app = await startApp({ LABS: 'orders', KAFKA_BROKERS: '127.0.0.1:1', NODE_PORTS_SHIFT: shift });
    try {
      const P = nodeUrl(app, 'orders', 'producer');
      const A = nodeUrl(app, 'orders', 'api');
      for (let i = 0; i < 2; i++) {
        const started = Date.now();
        const res = await post(`${P}/orders`, order(`down-${i}`));
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ statusCode: 503, code: 'ORDERS.BROKER_UNAVAILABLE' });
        expect(Date.now() - started).toBeLessThan(8000);
      }
      expect((await get(`${A}/kafka/lag`)).status).toBe(503);
      expect((await get(`${A}/stats`)).status).toBe(200);
      expect((await get(`${nodeUrl(app, 'orders', 'consumer')}/health`)).body).toMatchObject({ status: 'ok' });
    } finally {
      await app.close();
    }
  });
});
