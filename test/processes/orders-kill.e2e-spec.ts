import { Client } from 'pg';
import { eventually } from '../utils/concurrency';
import { Supervised, startSupervisor } from './process-kit';

type Body = Record<string, any>;

const ROUNDS = 5;
const BATCHES_PER_ROUND = 4;
const BATCH = 50; // 5 rounds x 4 batches x 50 = 1,000 orders

/**
 * The orders consumer as its own OS process, killed with SIGKILL between its database write and its
 * offset commit 5 times over 1,000 orders: PostgreSQL holds every order exactly once.
 */
describe('orders consumer SIGKILLed between the DB write and the offset commit (LAB_PROCESSES=1)', () => {
  let sup: Supervised;
  let P: string;
  let C: string;
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
  const consumer = async () => (await sup.processes()).find((p) => p.node === 'consumer')!;
  const consumerRunning = () =>
    eventually(
      () => json('GET', `${C}/health`).catch(() => ({ status: 0, body: {} as Body })),
      (r) => r.status === 200 && r.body.kafka_consumer_running === true,
      { timeoutMs: 120_000, intervalMs: 300 },
    );
  const drained = () =>
    eventually(
      () => json('GET', `${A}/kafka/lag`).catch(() => ({ status: 0, body: {} as Body })),
      (r) => r.status === 200 && r.body.total_lag === 0,
      { timeoutMs: 120_000, intervalMs: 500 },
    );

  beforeAll(async () => {
    sup = await startSupervisor({ LABS: 'orders' });
    const url = (node: string) => `http://127.0.0.1:${sup.ports.get(`orders:${node}`)}`;
    [P, C, A] = [url('producer'), url('consumer'), url('api')];
    expect(
      (await json('POST', `${P}/config`, { delivery_mode: 'exactly-once', enable_transactions: true })).status,
    ).toBe(200);
    const configured = await json('POST', `${C}/config`, {
      processing_mode: 'exactly-once',
      enable_idempotency: true,
      failure_rate: 0,
      crash_after_messages: 0,
      crash_point: 'after-db-write',
      restart_after_ms: 500,
    });
    expect(configured.status).toBe(200);
    await consumerRunning();
    await drained();
    expect((await json('POST', `${A}/reset`)).status).toBe(200);
  }, 300_000);

  afterAll(async () => {
    if (sup) {
      await json('POST', `${C}/config`, { crash_after_messages: 0 }).catch(() => undefined);
      await sup.terminate();
    }
  });

  it('loses none and duplicates none of 1,000 orders over 5 kills, each kill a new pid', async () => {
    const sent: string[] = [];
    const pids = [(await consumer()).pid!];
    for (let round = 0; round < ROUNDS; round++) {
      await consumerRunning();
      const armed = await json('POST', `${C}/config`, {
        crash_after_messages: 30 + 17 * round,
        crash_point: 'after-db-write',
        restart_after_ms: 500,
      });
      expect(armed.body).toMatchObject({ crash_after_messages: 30 + 17 * round, crash_point: 'after-db-write' });
      for (let b = 0; b < BATCHES_PER_ROUND; b++) {
        const orders = Array.from({ length: BATCH }, (_, i) => ({
          customer_id: `kill-${round}-${b}-${i}`,
          items: [{ name: 'Item', quantity: 1, price: 10 }],
          total_amount: 10,
        }));
        const batch = await json('POST', `${P}/orders/batch`, { orders });
        expect(batch.status).toBe(200);
        expect(batch.body.status).toBe('committed');
        sent.push(...(batch.body.order_ids as string[]));
      }
      // The consumer process dies at its crash point; the supervisor starts a new one (a new pid).
      const next = await eventually(consumer, (c) => c.state === 'up' && c.restarts === round + 1, {
        timeoutMs: 120_000,
        intervalMs: 300,
      });
      expect(next.last_exit).toMatchObject({ signal: 'SIGKILL', crash_point: 'after-db-write' });
      pids.push(next.pid!);
    }
    expect(new Set(pids).size).toBe(ROUNDS + 1);
    expect(sent).toHaveLength(ROUNDS * BATCHES_PER_ROUND * BATCH);

    await consumerRunning();
    await drained();
    const db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    try {
      const rows = (
        await db.query<{ order_id: string; applied_count: number }>(`SELECT order_id, applied_count FROM orders.orders`)
      ).rows;
      const stored = new Map(rows.map((r) => [r.order_id, r.applied_count]));
      const lost = sent.filter((id) => !stored.has(id));
      const duplicated = rows.filter((r) => r.applied_count !== 1);
      process.stdout.write(
        `orders: ${sent.length} sent, ${rows.length} rows, ${lost.length} lost, ${duplicated.length} applied twice; consumer pids ${pids.join(' ')}\n`,
      );
      expect(lost).toEqual([]);
      expect(duplicated).toEqual([]);
      expect(rows).toHaveLength(sent.length);
      const processed = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM orders.processed_messages`);
      expect(processed.rows[0].n).toBe(sent.length);
    } finally {
      await db.end();
    }
  });
});
