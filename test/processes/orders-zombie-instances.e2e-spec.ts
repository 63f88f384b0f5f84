import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { eventually } from '../utils/concurrency';
import { Supervised, startSupervisor } from './process-kit';

type Body = Record<string, any>;

const WORKERS = 8;

/**
 * Two producer processes sharing one transactional id on purpose: instance 1 initialises instance
 * 0's first id (producer-1-1) while 8 clients post through the balancer to both. Instance 0's producer is
 * fenced: its in-flight POSTs get 503 ORDERS.PRODUCER_FENCED (never a 2xx), it rebuilds its
 * producer by itself, and every acknowledged order is applied once and in the topic once.
 */
describe('orders zombie producer across 2 producer instances (LAB_PROCESSES=1 LAB_INSTANCES=orders=2)', () => {
  let sup: Supervised;
  let P: string;
  let A: string;
  const json = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, body: (await res.json()) as Body };
  };
  const drained = () =>
    eventually(
      () => json('GET', `${A}/kafka/lag`),
      (r) => r.status === 200 && r.body.total_lag === 0,
      { timeoutMs: 120_000, intervalMs: 500 },
    );
  const order = (customer: string, id: string) => ({
    order_id: id,
    customer_id: customer,
    items: [{ name: 'Item', quantity: 1, price: 10 }],
    total_amount: 10,
  });

  beforeAll(async () => {
    sup = await startSupervisor({ LABS: 'orders', LAB_INSTANCES: 'orders=2' });
    P = `http://127.0.0.1:${sup.ports.get('orders:producer')}`;
    A = `http://127.0.0.1:${sup.ports.get('orders:api')}`;
    const C = `http://127.0.0.1:${sup.ports.get('orders:consumer')}`;
    const configured = await json('POST', `${P}/config`, {
      delivery_mode: 'exactly-once',
      enable_transactions: true,
      transaction_linger_ms: 50,
    });
    expect(configured.status).toBe(200);
    expect(
      (
        await json('POST', `${C}/config`, {
          processing_mode: 'exactly-once',
          enable_idempotency: true,
          crash_after_messages: 0,
          failure_rate: 0,
        })
      ).status,
    ).toBe(200);
    await drained();
    expect((await json('POST', `${A}/reset`)).status).toBe(200);
  }, 300_000);

  afterAll(async () => {
    if (sup) {
      await json('POST', `${P}/config`, { transaction_linger_ms: 5 }).catch(() => undefined);
      await sup.terminate();
    }
  });

  it("instance 1 takes instance 0's transactional id: instance 0 fenced, 503s only for its fenced POSTs, it recovers, 0 lost, 0 duplicated", async () => {
    const run = Date.now().toString(36);
    const answers = new Map<string, { status: number; code?: string; fenced?: string }>();
    let stop = false;
    let n = 0;
    const worker = async (w: number) => {
      while (!stop) {
        const id = `zi-${run}-${w}-${n++}`;
        const res = await json('POST', `${P}/orders`, order(`zi-${w}`, id)).catch(() => ({
          status: 0,
          body: {} as Body,
        }));
        answers.set(id, { status: res.status, code: res.body.code, fenced: res.body.details?.fenced_producer });
      }
    };
    const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
    const zombies: Body[] = [];
    try {
      await eventually(
        async () => answers.size,
        (size) => size >= 40,
        { timeoutMs: 60_000, intervalMs: 20 },
      );
      // The balancer picks the instance: call until the zombie ran on instance 1 (a call on instance 0 is a takeover there, also a fencing).
      for (let attempt = 0; attempt < 10 && !zombies.some((z) => z.ran_on_instance === 1); attempt++) {
        const res = await json('POST', `${P}/simulate/zombie`, { instance: 0 });
        expect(res.status).toBe(200);
        zombies.push(res.body);
        const size = answers.size;
        await eventually(
          async () => answers.size,
          (s) => s >= size + 20,
          { timeoutMs: 60_000, intervalMs: 20 },
        );
      }
      const after = answers.size;
      await eventually(
        async () => answers.size,
        (size) => size >= after + 60,
        { timeoutMs: 60_000, intervalMs: 20 },
      );
    } finally {
      stop = true;
      await Promise.all(workers);
    }
    const cross = zombies.find((z) => z.ran_on_instance === 1);
    expect(cross).toMatchObject({
      status: 'fenced',
      transactional_id: expect.stringMatching(/producer-1-1$/),
      fenced_producer: "instance 0's producer",
    });

    const all = [...answers.entries()];
    const ok = all.filter(([, a]) => a.status === 200).map(([id]) => id);
    const fenced = all.filter(([, a]) => a.status === 503 && a.code === 'ORDERS.PRODUCER_FENCED');
    const other = all.filter(([, a]) => a.status !== 200 && !(a.status === 503 && a.code === 'ORDERS.PRODUCER_FENCED'));
    process.stdout.write(
      `zombie across instances: ${all.length} POSTs, ${ok.length} 2xx, ${fenced.length} fenced 503 (${[...new Set(fenced.map(([, a]) => a.fenced))].join(', ')}), ` +
        `${other.length} other; zombies ran on instances ${zombies.map((z) => z.ran_on_instance).join(' ')}\n`,
    );
    expect(other).toEqual([]);
    // Instance 0's first producer (transactional id producer-1-1) was the one fenced: instance 1's own (producer-2-…) never.
    expect(fenced.length).toBeGreaterThan(0);
    expect(fenced.filter(([, a]) => !/producer-1-1#\d+$/.test(a.fenced ?? ''))).toEqual([]);
    // Both instances serve again: 10 orders in a row through the balancer all acknowledged.
    for (let i = 0; i < 10; i++)
      expect((await json('POST', `${P}/orders`, order('zi-after', `zi-${run}-after-${i}`))).status).toBe(200);
    ok.push(...Array.from({ length: 10 }, (_, i) => `zi-${run}-after-${i}`));
    const metrics = await (await fetch(`${sup.url}/metrics`)).text();
    const fencedMetric = metrics
      .split('\n')
      .filter((l) => l.startsWith('orders_fenced_orders_total{'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    expect(fencedMetric).toBeGreaterThanOrEqual(fenced.length);

    await drained();
    const db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    try {
      await eventually(
        async () =>
          (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM orders.orders WHERE order_id = ANY($1)`, [ok]))
            .rows[0].n,
        (count) => count >= ok.length,
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      const rows = (
        await db.query<{ order_id: string; applied_count: number }>(
          `SELECT order_id, applied_count FROM orders.orders WHERE order_id LIKE $1`,
          [`zi-${run}-%`],
        )
      ).rows;
      const applied = new Set(rows.map((r) => r.order_id));
      expect(ok.filter((id) => !applied.has(id))).toEqual([]);
      expect(rows.filter((r) => r.applied_count !== 1)).toEqual([]);
      expect(fenced.filter(([id]) => applied.has(id)).map(([id]) => id)).toEqual([]);
    } finally {
      await db.end();
    }

    // The topic, read_committed: each acknowledged order once, no fenced one.
    const seen = await readCommitted(`zi-${run}-`, new Set(ok));
    expect(ok.filter((id) => seen.get(id) !== 1)).toEqual([]);
    expect(fenced.filter(([id]) => seen.has(id)).map(([id]) => id)).toEqual([]);
    // Fencing is not a crash: no process restarted.
    expect((await sup.processes()).every((p) => p.restarts === 0)).toBe(true);
  });
});

async function readCommitted(prefix: string, expected: Set<string>): Promise<Map<string, number>> {
  const ns = process.env.KAFKA_NAMESPACE;
  const name = (base: string) => (ns ? `${ns}.${base}` : base);
  const kafka = new Kafka({
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    clientId: 'zombie-test-reader',
    logLevel: logLevel.NOTHING,
  });
  const reader = kafka.consumer({ groupId: `${name('zombie-reader')}-${Date.now()}`, readUncommitted: false });
  const seen = new Map<string, number>();
  let last = Date.now();
  await reader.connect();
  try {
    await reader.subscribe({ topic: name('orders'), fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        const id = message.key?.toString();
        if (id?.startsWith(prefix)) {
          seen.set(id, (seen.get(id) ?? 0) + 1);
          last = Date.now();
        }
      },
    });
    await eventually(
      async () => ({ all: [...expected].every((id) => seen.has(id)), quiet: Date.now() - last }),
      (s) => s.all && s.quiet > 3000,
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    return seen;
  } finally {
    await reader.disconnect().catch(() => undefined);
  }
}
