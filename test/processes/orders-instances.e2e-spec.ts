import { Client } from 'pg';
import { eventually, runConcurrently } from '../utils/concurrency';
import { Supervised, startSupervisor } from './process-kit';

type Body = Record<string, any>;

/**
 * Two instances of every orders node: each producer process has its own transactional ids
 * (producer-1-1…, producer-2-1…), so transactions from both commit side by side — with one shared id
 * each new producer would fence the other — and the two consumers in one group apply each order once.
 */
describe('orders with 2 instances (LAB_PROCESSES=1 LAB_INSTANCES=orders=2)', () => {
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

  beforeAll(async () => {
    sup = await startSupervisor({ LABS: 'orders', LAB_INSTANCES: 'orders=2' });
    P = `http://127.0.0.1:${sup.ports.get('orders:producer')}`;
    A = `http://127.0.0.1:${sup.ports.get('orders:api')}`;
    const C = `http://127.0.0.1:${sup.ports.get('orders:consumer')}`;
    expect(
      (await json('POST', `${P}/config`, { delivery_mode: 'exactly-once', enable_transactions: true })).status,
    ).toBe(200);
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
    await eventually(
      () => json('GET', `${A}/kafka/lag`),
      (r) => r.status === 200 && r.body.total_lag === 0,
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect((await json('POST', `${A}/reset`)).status).toBe(200);
  }, 300_000);

  afterAll(async () => {
    if (sup) await sup.terminate();
  });

  it('commits 40 concurrent transactional batches through both producers; every order applied once', async () => {
    expect((await sup.processes()).filter((p) => p.node === 'producer' && p.state === 'up')).toHaveLength(2);
    const sent: string[] = [];
    for (let wave = 0; wave < 10; wave++) {
      const batches = await runConcurrently(4, (i) =>
        json('POST', `${P}/orders/batch`, {
          orders: Array.from({ length: 10 }, (_, k) => ({
            customer_id: `two-${wave}-${i}-${k}`,
            items: [{ name: 'Item', quantity: 1, price: 10 }],
            total_amount: 10,
          })),
        }),
      );
      for (const b of batches) {
        expect(b).toMatchObject({ status: 200, body: { status: 'committed' } });
        sent.push(...(b.body.order_ids as string[]));
      }
    }
    await eventually(
      () => json('GET', `${A}/kafka/lag`),
      (r) => r.status === 200 && r.body.total_lag === 0,
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    try {
      const rows = (
        await db.query<{ order_id: string; applied_count: number }>(`SELECT order_id, applied_count FROM orders.orders`)
      ).rows;
      const stored = new Map(rows.map((r) => [r.order_id, r.applied_count]));
      expect(sent.filter((id) => stored.get(id) !== 1)).toEqual([]);
      expect(rows).toHaveLength(400);
    } finally {
      await db.end();
    }
    // No producer process was fenced into a crash on the way.
    expect((await sup.processes()).every((p) => p.restarts === 0)).toBe(true);
  });
});
