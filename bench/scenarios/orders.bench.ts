import { nodeUrl, sleep } from '../lib/app';
import { call, waitFor } from '../lib/http';
import { percentile, runLoad } from '../lib/load';
import { Measured, measured } from '../lib/stats';

export const ORDER_MODES = ['at-least-once', 'exactly-once', 'exactly-once-batched'] as const;
type Mode = (typeof ORDER_MODES)[number];
type Figures = Record<'orders_per_s' | 'p50_ms' | 'p99_ms' | 'produce_p99_ms', Measured>;

export interface OrdersResult {
  concurrency: number;
  batch_size: number;
  modes: Record<Mode, Figures & { orders: Measured; drained: boolean }>;
  /** The key figure: the median of the repetitions (exactly_once_batched_vs_at_least_once_spread has them all). */
  exactly_once_batched_vs_at_least_once: number;
  exactly_once_batched_vs_at_least_once_spread: Measured;
}

const PRODUCER = nodeUrl(8200, 0);
const CONSUMER = nodeUrl(8200, 1);
const API = nodeUrl(8200, 3);

interface Stats {
  total_unique_orders: number;
}

interface OrderRow {
  order_id: string;
  created_at: string;
}

/**
 * End to end, from the client's POST to the committed side effect (the row in orders.orders):
 * producers send for `durationMs` (closed loop), then the api node is polled until every accepted
 * order has its row. Per-order latency = the row's created_at (the consumer transaction's now())
 * minus the moment the client sent it; orders/s = orders / (last created_at - first send).
 * Client and PostgreSQL share this machine's clock.
 *
 * - at-least-once: plain producer (acks=all, no transactions), consumer commits offsets after the
 *   write and does not deduplicate;
 * - exactly-once: one Kafka transaction per POST /orders, read_committed idempotent consumer;
 * - exactly-once-batched: the same, `batchSize` orders per POST /orders/batch (one transaction).
 */
export async function benchOrders(opts: {
  reps: number;
  durationMs: number;
  concurrency: number;
  batchSize: number;
  drainTimeoutMs: number;
}): Promise<OrdersResult> {
  const raw: Record<string, Array<Record<keyof Figures | 'orders', number>>> = {};
  const drainedAll: Record<string, boolean> = {};
  const ratios: number[] = [];
  const originalProducer = await call<Record<string, unknown>>('GET', `${PRODUCER}/config`);
  const originalConsumer = await call<Record<string, unknown>>('GET', `${CONSUMER}/config`);
  let runId = 0;
  try {
    for (let rep = 0; rep < opts.reps; rep++) {
      const round: Partial<Record<Mode, number>> = {};
      for (const mode of ORDER_MODES) {
        await configure(mode);
        await warm(`w${rep}-${mode}`, opts.drainTimeoutMs);
        await call('POST', `${API}/reset`);
        const r = await measureMode(mode, `r${Date.now()}-${runId++}`, opts);
        (raw[mode] ??= []).push(r.figures);
        drainedAll[mode] = (drainedAll[mode] ?? true) && r.drained;
        round[mode] = r.figures.orders_per_s;
      }
      ratios.push(round['exactly-once-batched']! / round['at-least-once']!);
    }
  } finally {
    await call('POST', `${PRODUCER}/config`, {
      delivery_mode: originalProducer.delivery_mode,
      enable_transactions: originalProducer.enable_transactions,
    }).catch(() => undefined);
    await call('POST', `${CONSUMER}/config`, {
      processing_mode: originalConsumer.processing_mode,
      enable_idempotency: originalConsumer.enable_idempotency,
    }).catch(() => undefined);
    await call('POST', `${API}/reset`).catch(() => undefined);
  }
  const figures = (mode: Mode) => ({
    orders_per_s: measured(raw[mode].map((r) => r.orders_per_s)),
    p50_ms: measured(raw[mode].map((r) => r.p50_ms)),
    p99_ms: measured(raw[mode].map((r) => r.p99_ms)),
    produce_p99_ms: measured(raw[mode].map((r) => r.produce_p99_ms)),
    orders: measured(raw[mode].map((r) => r.orders)),
    drained: drainedAll[mode],
  });
  return {
    concurrency: opts.concurrency,
    batch_size: opts.batchSize,
    modes: { 'at-least-once': figures('at-least-once'), 'exactly-once': figures('exactly-once'), 'exactly-once-batched': figures('exactly-once-batched') },
    exactly_once_batched_vs_at_least_once: measured(ratios).median,
    exactly_once_batched_vs_at_least_once_spread: measured(ratios),
  };
}

async function configure(mode: Mode): Promise<void> {
  const exactly = mode !== 'at-least-once';
  const producer = await call<Record<string, unknown>>('GET', `${PRODUCER}/config`);
  const consumer = await call<Record<string, unknown>>('GET', `${CONSUMER}/config`);
  const delivery = exactly ? 'exactly-once' : 'at-least-once';
  if (producer.delivery_mode !== delivery || producer.enable_transactions !== exactly) {
    await call('POST', `${PRODUCER}/config`, { delivery_mode: delivery, enable_transactions: exactly });
  }
  if (consumer.processing_mode !== delivery || consumer.enable_idempotency !== exactly || consumer.failure_rate !== 0) {
    await call('POST', `${CONSUMER}/config`, {
      processing_mode: delivery,
      enable_idempotency: exactly,
      failure_rate: 0,
      crash_after_messages: 0,
    });
  }
}

/** After a mode change the consumer rejoins its group: wait until a probe order gets through. */
async function warm(tag: string, timeoutMs: number): Promise<void> {
  const id = `bench-warm-${tag}-${Date.now()}`;
  await call('POST', `${PRODUCER}/orders`, order(id));
  await waitFor(`warm-up order ${id}`, async () => ((await call('GET', `${API}/orders/${id}`, undefined, 5000)) ? true : undefined), timeoutMs, 200);
}

function order(id: string) {
  return { order_id: id, customer_id: 'bench', items: [{ name: 'bench item', quantity: 1, price: 1 }], total_amount: 1 };
}

async function measureMode(
  mode: Mode,
  run: string,
  opts: { durationMs: number; concurrency: number; batchSize: number; drainTimeoutMs: number },
): Promise<{ figures: Record<keyof Figures | 'orders', number>; drained: boolean }> {
  const sentAt = new Map<string, number>();
  const batched = mode === 'exactly-once-batched';
  const body = (i: number) => {
    const now = Date.now();
    if (!batched) {
      sentAt.set(`${run}-${i}`, now);
      return order(`${run}-${i}`);
    }
    const orders = Array.from({ length: opts.batchSize }, (_, k) => order(`${run}-${i}-${k}`));
    for (const o of orders) sentAt.set(o.order_id, now);
    return { orders };
  };
  const load = await runLoad({
    url: `${PRODUCER}${batched ? '/orders/batch' : '/orders'}`,
    body,
    concurrency: opts.concurrency,
    durationMs: opts.durationMs,
  });
  if (load.errors || load.non2xx) throw new Error(`orders ${mode}: ${load.errors} errors, ${load.non2xx} non-2xx while producing`);
  const accepted = sentAt.size;
  let drained = true;
  await waitFor(
    `${accepted} ${mode} orders to be processed`,
    async () => ((await call<Stats>('GET', `${API}/stats`, undefined, 5000)).total_unique_orders >= accepted ? true : undefined),
    opts.drainTimeoutMs,
    100,
  ).catch(() => (drained = false));
  await sleep(50);
  const rows = await allOrders();
  const latencies: number[] = [];
  let lastEffect = 0;
  for (const row of rows) {
    const sent = sentAt.get(row.order_id);
    if (sent === undefined) continue;
    const at = Date.parse(row.created_at);
    latencies.push(at - sent);
    lastEffect = Math.max(lastEffect, at);
  }
  latencies.sort((a, b) => a - b);
  const firstSend = Math.min(...sentAt.values());
  return {
    drained,
    figures: {
      orders: latencies.length,
      orders_per_s: latencies.length / ((lastEffect - firstSend) / 1000),
      p50_ms: percentile(latencies, 0.5),
      p99_ms: percentile(latencies, 0.99),
      produce_p99_ms: load.p99_ms,
    },
  };
}

/** Every row of orders.orders through the api node, 100 per page. */
async function allOrders(): Promise<OrderRow[]> {
  const rows: OrderRow[] = [];
  for (let offset = 0; offset < 1_000_000; offset += 100) {
    const page = await call<{ orders: OrderRow[]; total: number }>('GET', `${API}/orders?limit=100&offset=${offset}`);
    rows.push(...page.orders);
    if (page.orders.length < 100) break;
  }
  return rows;
}
