import type { RunningApp } from '../../src/bootstrap';
import { nodeUrl } from '../utils/app';
import { eventually } from '../utils/concurrency';
import { get, post } from '../utils/http';

export type Body = Record<string, any>;

/** A valid order for `customer` (one item of 10), with `extra` fields over it. */
export const order = (customer: string, extra: Body = {}): Body => ({
  customer_id: customer,
  items: [{ name: `Item ${customer}`, quantity: 1, price: 10 }],
  total_amount: 10,
  ...extra,
});

/**
 * What every orders e2e suite asks of the running lab, over its HTTP endpoints. `app` is read on
 * each call, so the kit can be made before `beforeAll` starts the app.
 */
export function ordersKit(app: () => RunningApp) {
  const url = (node: 'producer' | 'consumer' | 'api') => nodeUrl(app(), 'orders', node);

  const consumerNode = async () => {
    const res = await get(`${app().url}/admin/labs/orders`);
    return res.body.nodes.find((n: { node: string }) => n.node === 'consumer') as { up: boolean; crashes: number };
  };

  const consumerRunning = () =>
    eventually(
      () => get(`${url('consumer')}/health`).catch(() => ({ status: 0, body: {} }) as { status: number; body: Body }),
      (r) => r.status === 200 && r.body.kafka_consumer_running === true,
      { timeoutMs: 60000, intervalMs: 200 },
    );

  const drained = () =>
    eventually(
      () => get(`${url('api')}/kafka/lag`),
      (r) => r.status === 200 && r.body.total_lag === 0,
      { timeoutMs: 90000, intervalMs: 250 },
    );

  const stats = async () => (await get(`${url('api')}/stats`)).body as Body;

  /** Sum of a metric's samples whose labels include `labels` (one process-wide registry: compare deltas). */
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const text = await (await fetch(`${app().url}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.split(' ').pop());
    }
    return sum;
  };

  /** Exactly-once on both sides, no injected failure or crash, the consumer running; `producer` adds producer settings. */
  const defaults = async (options: { producer?: Body; restartAfterMs: number }) => {
    await consumerRunning();
    expect(
      (
        await post(`${url('producer')}/config`, {
          delivery_mode: 'exactly-once',
          enable_transactions: true,
          ...options.producer,
        })
      ).status,
    ).toBe(200);
    const res = await post(`${url('consumer')}/config`, {
      processing_mode: 'exactly-once',
      enable_idempotency: true,
      failure_rate: 0,
      crash_after_messages: 0,
      crash_point: 'after-db-write',
      restart_after_ms: options.restartAfterMs,
    });
    expect(res.status).toBe(200);
    await consumerRunning();
  };

  /** Waits for the consumer to catch up, then clears the lab's data (POST /reset on the api node). */
  const resetAll = async () => {
    await drained();
    expect((await post(`${url('api')}/reset`)).status).toBe(200);
  };

  return { consumerNode, consumerRunning, drained, stats, metric, defaults, resetAll };
}
