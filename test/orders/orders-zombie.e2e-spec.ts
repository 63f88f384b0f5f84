import type { Consumer } from 'kafkajs';
import { DatabasePools } from '../../src/platform/database/database-pools.service';
import type { LabDatabase } from '../../src/platform/database/lab-database';
import type { RunningApp } from '../../src/bootstrap';
import { KafkaService } from '../../src/platform/kafka/kafka.service';
import { nodeUrl, startApp } from '../utils/app';
import { eventually } from '../utils/concurrency';
import { get, post } from '../utils/http';

/**
 * The zombie producer on the real broker: a second transactional producer initialises the live
 * one's transactional id while 8 clients keep posting orders; the broker fences the old producer,
 * its in-flight POSTs get 503 (never a 2xx), the new one takes over, and every acknowledged order
 * is in PostgreSQL and in the topic (read_committed) exactly once.
 */

type Body = Record<string, any>;

const WORKERS = 8;
const TAKEOVERS = 3;
const FENCING = /INVALID_PRODUCER_EPOCH|PRODUCER_FENCED/;

describe('orders lab: zombie producer fenced by a second producer with its transactional id (LABS=orders, real Kafka)', () => {
  let app: RunningApp;
  let P: string;
  let C: string;
  let A: string;
  let db: LabDatabase;
  let kafka: KafkaService;

  const consumerRunning = () =>
    eventually(
      () => get(`${C}/health`).catch(() => ({ status: 0, body: {} }) as { status: number; body: Body }),
      (r) => r.status === 200 && r.body.kafka_consumer_running === true,
      { timeoutMs: 60000, intervalMs: 200 },
    );
  const drained = () =>
    eventually(
      () => get(`${A}/kafka/lag`),
      (r) => r.status === 200 && r.body.total_lag === 0,
      { timeoutMs: 90000, intervalMs: 250 },
    );
  const metric = async (name: string) => {
    const text = await (await fetch(`${P}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
  };
  const order = (customer: string) => ({
    customer_id: customer,
    items: [{ name: 'Item', quantity: 1, price: 10 }],
    total_amount: 10,
  });

  beforeAll(async () => {
    app = await startApp({ LABS: 'orders' });
    P = nodeUrl(app, 'orders', 'producer');
    C = nodeUrl(app, 'orders', 'consumer');
    A = nodeUrl(app, 'orders', 'api');
    db = app.app.get(DatabasePools).forLab('orders');
    kafka = app.app.get(KafkaService);
    // One transactional producer, the slot a takeover fences (with the default two, groups go to the other slot while the
    // takeover holds new sessions back, and it can find the first idle); a 50 ms linger keeps a group in flight on it under load.
    const configured = await post(`${P}/config`, {
      delivery_mode: 'exactly-once',
      enable_transactions: true,
      transaction_linger_ms: 50,
      max_orders_per_transaction: 200,
      transactional_producers: 1,
    });
    expect(configured.status).toBe(200);
    expect(
      (
        await post(`${C}/config`, {
          processing_mode: 'exactly-once',
          enable_idempotency: true,
          failure_rate: 0,
          crash_after_messages: 0,
        })
      ).status,
    ).toBe(200);
    await consumerRunning();
    await drained();
    expect((await post(`${A}/reset`)).status).toBe(200);
    expect((await post(`${P}/reset-stats`)).status).toBe(200);
  });

  afterAll(async () => {
    await post(`${P}/config`, {
      delivery_mode: 'exactly-once',
      enable_transactions: true,
      transaction_linger_ms: 5,
      transactional_producers: 2,
    }).catch(() => undefined);
    await app?.close();
  });

  it('is refused without a transactional producer (400 naming the mode)', async () => {
    expect((await post(`${P}/config`, { delivery_mode: 'at-least-once' })).status).toBe(200);
    try {
      const res = await post(`${P}/simulate/zombie`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        code: 'ORDERS.ZOMBIE_REQUIRES_TRANSACTIONS',
        details: { delivery_mode: 'at-least-once' },
      });
    } finally {
      expect((await post(`${P}/config`, { delivery_mode: 'exactly-once', enable_transactions: true })).status).toBe(
        200,
      );
    }
  });

  it('refuses an instance outside 0..7 (400 naming the field)', async () => {
    const res = await post(`${P}/simulate/zombie`, { instance: 8 });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('instance');
  });

  it(`fences the older producer ${TAKEOVERS} times under ${WORKERS} concurrent clients: 503s only for fenced POSTs, 0 lost, 0 duplicated`, async () => {
    expect((await post(`${P}/orders`, order('zombie-warmup'))).status).toBe(200);
    const answers = new Map<string, { status: number; code?: string }>();
    let stop = false;
    let sent = 0;
    const worker = async (w: number) => {
      while (!stop) {
        const customer = `zombie-${w}-${sent++}`;
        const id = `zombie-${Date.now().toString(36)}-${customer}`;
        const res = await post(`${P}/orders`, { ...order(customer), order_id: id });
        answers.set(id, { status: res.status, code: res.body?.code });
      }
    };
    const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
    const takeovers: Body[] = [];
    try {
      for (let n = 0; n < TAKEOVERS; n++) {
        const before = answers.size;
        await eventually(
          async () => answers.size,
          (size) => size >= before + 40,
          { timeoutMs: 60000, intervalMs: 20 },
        );
        const res = await post(`${P}/simulate/zombie`);
        expect(res.status).toBe(200);
        takeovers.push(res.body);
      }
      const after = answers.size;
      await eventually(
        async () => answers.size,
        (size) => size >= after + 40,
        { timeoutMs: 60000, intervalMs: 20 },
      );
    } finally {
      stop = true;
      await Promise.all(workers);
    }

    // Each takeover: a new producer label, the old one fenced with the broker's epoch error.
    for (const t of takeovers) {
      expect(t).toMatchObject({ status: 'fenced', transactional_id: kafka.name('producer-1-1') });
      expect(t.first_error).toMatch(FENCING);
      expect(t.successor).not.toBe(t.fenced_producer);
    }
    expect(new Set(takeovers.map((t) => t.fenced_producer)).size).toBe(TAKEOVERS);
    // Each successor is the next takeover's fenced producer.
    for (let n = 1; n < TAKEOVERS; n++) expect(takeovers[n].fenced_producer).toBe(takeovers[n - 1].successor);

    const all = [...answers.entries()];
    const ok = all.filter(([, a]) => a.status === 200).map(([id]) => id);
    const fenced = all.filter(([, a]) => a.status === 503 && a.code === 'ORDERS.PRODUCER_FENCED').map(([id]) => id);
    const other = all.filter(([, a]) => a.status !== 200 && !(a.status === 503 && a.code === 'ORDERS.PRODUCER_FENCED'));
    process.stdout.write(
      `zombie: ${all.length} POSTs, ${ok.length} 2xx, ${fenced.length} fenced 503, ${other.length} other; takeovers ${takeovers.map((t) => `${t.fenced_producer}→${t.successor}`).join(' ')}\n`,
    );
    expect(other).toEqual([]);
    // Fencing observed on POSTs in flight, not only on the probe.
    expect(fenced.length).toBeGreaterThan(0);
    // The app recovered by itself: orders after the last takeover were acknowledged.
    expect((await post(`${P}/orders`, order('zombie-after'))).status).toBe(200);

    const stats = (await get(`${P}/stats`)).body as Body;
    expect(stats.fencing).toMatchObject({ takeovers: TAKEOVERS, fenced_orders: fenced.length });
    expect(stats.fencing.last.fenced_producer).toBe(takeovers[TAKEOVERS - 1].fenced_producer);
    expect(await metric('orders_fenced_orders_total')).toBeGreaterThanOrEqual(fenced.length);
    expect(await metric('orders_producers_fenced_total')).toBeGreaterThanOrEqual(TAKEOVERS);

    // PostgreSQL: every acknowledged order applied once, no fenced one applied, nothing else of the run.
    await drained();
    await eventually(
      async () =>
        (await db.query(`SELECT count(*)::int AS n FROM orders.orders WHERE order_id = ANY($1)`, [ok]))[0] as {
          n: number;
        },
      (r) => r.n >= ok.length,
      { timeoutMs: 60000, intervalMs: 250 },
    );
    const rows = (await db.query(
      `SELECT order_id, applied_count FROM orders.orders WHERE order_id LIKE 'zombie-%'`,
    )) as Array<{
      order_id: string;
      applied_count: number;
    }>;
    const applied = new Map(rows.map((r) => [r.order_id, r.applied_count]));
    expect(ok.filter((id) => !applied.has(id))).toEqual([]);
    expect(rows.filter((r) => r.applied_count !== 1)).toEqual([]);
    expect(fenced.filter((id) => applied.has(id))).toEqual([]);
    expect(rows.filter((r) => !answers.has(r.order_id))).toEqual([]);

    // The topic, read_committed from the beginning: each acknowledged order once, no fenced one.
    const seen = await readCommitted(kafka, new Set(all.map(([id]) => id)), new Set(ok));
    expect(ok.filter((id) => seen.get(id) !== 1)).toEqual([]);
    expect(fenced.filter((id) => seen.has(id))).toEqual([]);
  });
});

/** Counts, per order id of `ids`, the records of the orders topic a read_committed reader sees (until every `expected` one arrived and 3 s passed quiet). */
async function readCommitted(
  kafka: KafkaService,
  ids: Set<string>,
  expected: Set<string>,
): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  let last = Date.now();
  const reader: Consumer = kafka.kafka.consumer({
    groupId: `${kafka.name('zombie-reader')}-${Date.now()}`,
    readUncommitted: false,
  });
  await reader.connect();
  try {
    await reader.subscribe({ topic: kafka.name('orders'), fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        const id = message.key?.toString();
        if (id && ids.has(id)) {
          seen.set(id, (seen.get(id) ?? 0) + 1);
          last = Date.now();
        }
      },
    });
    await eventually(
      async () => ({ all: [...expected].every((id) => seen.has(id)), quiet: Date.now() - last }),
      (s) => s.all && s.quiet > 3000,
      { timeoutMs: 120000, intervalMs: 250 },
    );
    return seen;
  } finally {
    await reader.disconnect().catch(() => undefined);
  }
}
