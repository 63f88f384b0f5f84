import { DatabasePools } from '../../src/platform/database/database-pools.service';
import type { RunningApp } from '../../src/bootstrap';
import { nodeUrl } from '../utils/app';
import { eventually } from '../utils/concurrency';
import { JsonResponse, get, post } from '../utils/http';
import { startAppOnFreePorts } from '../utils/ports';
import { PrivateKafka, startPrivateKafka } from '../utils/private-kafka';

/**
 * The orders lab through a real broker outage. The shared broker must never be stopped, so this
 * suite runs the lab against a KRaft broker of its own, stops it (a controlled shutdown), and
 * starts it again on the same data dir and ports.
 */

type Body = Record<string, any>;

const BEFORE = 10;
const AFTER = 10;
/** The issue asks for "a few seconds (no hang)"; the producer's own budget is 5 s, this is the generous bound. */
const FAIL_FAST_BOUND_MS = 10_000;
const RECOVERY_BOUND_MS = 60_000;
/** Longer than the consumer group's session timeout (6 s) and the clients' retries, so every client really loses the broker. */
const OUTAGE_MS = 15_000;

const order = (orderId: string): Body => ({
  order_id: orderId,
  customer_id: `outage-${orderId}`,
  items: [{ name: 'Widget', quantity: 1, price: 10 }],
  total_amount: 10,
});

const committedOffsets = (lag: Body) =>
  Object.fromEntries((lag.partitions as Body[]).map((p) => [p.partition, p.committed_offset]));

describe('orders lab through a broker outage (private KRaft broker)', () => {
  let kafka: PrivateKafka;
  let app: RunningApp;
  let P: string;
  let C: string;
  let A: string;
  /** Orders the producer answered 200 for: every one must be processed exactly once. */
  const accepted: string[] = [];
  /** Orders the producer refused with 503: the client was told they were not sent. */
  const refused: string[] = [];
  const measured: Record<string, number> = {};
  let offsetsBeforeStop: Record<string, number> = {};
  let stoppedAt = 0;

  const send = async (orderId: string): Promise<JsonResponse> => {
    const res = await post(`${P}/orders`, order(orderId));
    if (res.status === 200) accepted.push(orderId);
    else refused.push(orderId);
    return res;
  };

  const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
    const started = Date.now();
    const value = await fn();
    return [value, Date.now() - started];
  };

  const drained = () =>
    eventually(
      () => get(`${A}/kafka/lag`),
      (r) => r.status === 200 && r.body.total_lag === 0,
      { timeoutMs: 90_000, intervalMs: 250 },
    );

  const consumerRunning = () =>
    eventually(
      () => get(`${C}/health`),
      (r) => r.status === 200 && r.body.kafka_consumer_running === true,
      { timeoutMs: 60_000, intervalMs: 200 },
    );

  const health = () => get(`${app.url}/health`);

  beforeAll(async () => {
    kafka = await startPrivateKafka();
    app = await startAppOnFreePorts({ LABS: 'orders', KAFKA_BROKERS: kafka.brokers, KAFKA_NAMESPACE: 'outage' });
    P = nodeUrl(app, 'orders', 'producer');
    C = nodeUrl(app, 'orders', 'consumer');
    A = nodeUrl(app, 'orders', 'api');
    await consumerRunning();
    expect((await post(`${P}/config`, { delivery_mode: 'exactly-once', enable_transactions: true })).status).toBe(200);
    const configured = await post(`${C}/config`, {
      processing_mode: 'exactly-once',
      enable_idempotency: true,
      failure_rate: 0,
      crash_after_messages: 0,
    });
    expect(configured.status).toBe(200);
    await consumerRunning();
    await drained();
    expect((await post(`${A}/reset`)).status).toBe(200);
    // Positions another Kafka cluster left in this database (this suite's earlier runs, each on a fresh
    // private broker, or a broker whose data was wiped): small enough to look plausible here, and ignored
    // because their cluster id is not this broker's, so no record of this run is skipped.
    const db = app.app.get(DatabasePools).forLab('orders');
    await db.query(
      `INSERT INTO orders.consumer_offsets (group_id, topic, partition, next_offset, cluster_id)
       SELECT 'outage.order-processors', 'outage.orders', p, 3, 'another-cluster' FROM generate_series(0, 2) AS p
       ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = 3, cluster_id = 'another-cluster'`,
    );
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await kafka?.dispose();
    // The numbers the issue asks to report (fail-fast time, recovery time), in the test output.
    console.log(`broker outage measurements (ms): ${JSON.stringify(measured)}`);
  });

  it('processes orders while the broker is up and commits their offsets', async () => {
    for (let i = 0; i < BEFORE; i++) expect((await send(`before-${i}`)).status).toBe(200);
    const lag = await drained();
    offsetsBeforeStop = committedOffsets(lag.body);
    const stats = (await get(`${A}/stats`)).body;
    expect(stats).toMatchObject({ total_unique_orders: BEFORE, duplicate_side_effects: 0, redeliveries_detected: 0 });
    expect(Object.values(offsetsBeforeStop).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(BEFORE);
  });

  it('with the broker stopped, the producer answers 503 JSON within seconds instead of hanging', async () => {
    measured.broker_stop = await kafka.stop();
    stoppedAt = Date.now();

    // At once: the app has not noticed yet, so this send meets the dead connection itself.
    const [first, firstMs] = await timed(() => send('during-outage-0'));
    measured.first_503 = firstMs;
    expect(first.status).toBe(503);
    expect(first.headers.get('content-type')).toMatch(/application\/json/);
    expect(first.body).toMatchObject({
      statusCode: 503,
      code: 'ORDERS.BROKER_UNAVAILABLE',
      message: expect.any(String),
    });
    expect(firstMs).toBeLessThan(FAIL_FAST_BOUND_MS);

    // Once the health check has seen the broker down, the producer does not even try.
    await eventually(health, (r) => r.body.dependencies?.kafka?.status === 'down', {
      timeoutMs: 20_000,
      intervalMs: 250,
    });
    const [later, laterMs] = await timed(() => send('during-outage-1'));
    measured.later_503 = laterMs;
    expect(later.status).toBe(503);
    expect(later.body).toMatchObject({ statusCode: 503, code: 'ORDERS.BROKER_UNAVAILABLE' });
    expect(laterMs).toBeLessThan(FAIL_FAST_BOUND_MS);

    const batchIds = ['during-outage-batch-0', 'during-outage-batch-1'];
    const [batch, batchMs] = await timed(() => post(`${P}/orders/batch`, { orders: batchIds.map(order) }));
    refused.push(...batchIds);
    expect(batch.status).toBe(503);
    expect(batch.body).toMatchObject({ statusCode: 503, code: 'ORDERS.BROKER_UNAVAILABLE' });
    expect(batchMs).toBeLessThan(FAIL_FAST_BOUND_MS);
  });

  it('/health reports kafka and the orders lab down, and the api node still answers from PostgreSQL', async () => {
    const res = await eventually(health, (r) => r.body.dependencies?.kafka?.status === 'down', {
      timeoutMs: 20_000,
      intervalMs: 250,
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('degraded');
    expect(res.body.dependencies).toMatchObject({
      kafka: { status: 'down' },
      postgres: { status: 'up' },
      redis: { status: 'up' },
    });
    expect(res.body.labs.orders).toMatchObject({ status: 'down', down: ['kafka'] });

    expect((await get(`${P}/health`)).body).toEqual({ status: 'ok', service: 'producer' });
    expect((await get(`${C}/health`)).body).toMatchObject({ status: 'ok', service: 'consumer' });
    expect((await get(`${A}/health`)).body).toEqual({ status: 'ok', service: 'api' });

    const stats = await get(`${A}/stats`);
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({ total_unique_orders: BEFORE, duplicate_side_effects: 0 });
    const listed = await get(`${A}/orders?limit=100`);
    expect(listed.status).toBe(200);
    expect(listed.body.total).toBe(BEFORE);
    expect((await get(`${A}/orders/before-0`)).status).toBe(200);

    const [lag, lagMs] = await timed(() => get(`${A}/kafka/lag`));
    expect(lag.status).toBe(503);
    expect(lag.body).toMatchObject({ statusCode: 503, code: 'ORDERS.BROKER_UNAVAILABLE' });
    expect(lagMs).toBeLessThan(FAIL_FAST_BOUND_MS);
  });

  it(`stays fail-fast for the whole outage (${OUTAGE_MS / 1000} s): every order is refused with 503 JSON, none hangs`, async () => {
    let slowest = 0;
    let sent = 0;
    while (Date.now() - stoppedAt < OUTAGE_MS) {
      const [res, ms] = await timed(() => send(`during-outage-${2 + sent++}`));
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ statusCode: 503, code: 'ORDERS.BROKER_UNAVAILABLE' });
      slowest = Math.max(slowest, ms);
      await new Promise((r) => setTimeout(r, 1000));
    }
    measured.slowest_503_during_outage = slowest;
    expect(sent).toBeGreaterThan(0);
    expect(slowest).toBeLessThan(FAIL_FAST_BOUND_MS);
    expect((await get(`${A}/stats`)).body).toMatchObject({ total_unique_orders: BEFORE });
  });

  it('when the broker returns, the committed offsets are still there and the producer recovers', async () => {
    measured.outage = Date.now() - stoppedAt;
    measured.broker_restart = await kafka.start();

    const lag = await eventually(
      () => get(`${A}/kafka/lag`),
      (r) => r.status === 200,
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(committedOffsets(lag.body)).toEqual(offsetsBeforeStop);

    // Eventually, not at once: the producer is rebuilt on the next call and reconnects.
    const [recovered, recoveryMs] = await timed(async () => {
      const deadline = Date.now() + RECOVERY_BOUND_MS;
      let attempt = 0;
      let res = await send(`recovery-${attempt++}`);
      while (res.status !== 200 && Date.now() < deadline) {
        expect(res.body).toMatchObject({ statusCode: 503, code: 'ORDERS.BROKER_UNAVAILABLE' });
        await new Promise((r) => setTimeout(r, 500));
        res = await send(`recovery-${attempt++}`);
      }
      return res;
    });
    measured.producer_recovery_after_restart = recoveryMs;
    expect(recovered.status).toBe(200);
    expect(recoveryMs).toBeLessThan(RECOVERY_BOUND_MS);

    for (let i = 0; i < AFTER; i++) expect((await send(`after-${i}`)).status).toBe(200);
  });

  it('the consumer resumes from its committed offsets: no order lost, none applied twice', async () => {
    await drained();
    await eventually(health, (r) => r.body.status === 'ok', { timeoutMs: 20_000, intervalMs: 250 });

    const stats = (await get(`${A}/stats`)).body;
    // Every order whose send was answered 200 was processed...
    for (const orderId of accepted) {
      const res = await get(`${A}/orders/${orderId}`);
      expect({ orderId, status: res.status, applied: res.body.order?.applied_count }).toEqual({
        orderId,
        status: 200,
        applied: 1,
      });
    }
    // ...and nothing else but, at most, an order whose 503 came after the broker had taken it.
    const listed = (await get(`${A}/orders?limit=100`)).body.orders as Body[];
    const known = new Set([...accepted, ...refused]);
    expect(listed.map((o) => o.order_id).filter((id) => !known.has(id))).toEqual([]);
    expect(stats.total_unique_orders).toBeGreaterThanOrEqual(accepted.length);
    expect(stats.total_unique_orders).toBeLessThanOrEqual(accepted.length + refused.length);
    // No side effect twice, and no redelivery at all: the orders committed before the outage were not read again.
    expect(stats).toMatchObject({ duplicate_side_effects: 0, redeliveries_detected: 0, dead_lettered: 0 });
    expect(stats.total_side_effects).toBe(stats.total_unique_orders);
    expect(stats.delivery_attempts).toBe(stats.total_unique_orders);
    measured.orders_accepted = accepted.length;
    measured.orders_refused_503 = refused.length;
    measured.refused_but_processed = stats.total_unique_orders - accepted.length;
  });
});
