import { Kafka, logLevel, Producer } from 'kafkajs';
import { BENCH_ENV, nodeUrl, PLATFORM_URL, sleep } from '../lib/app';
import { call, waitFor } from '../lib/http';
import { percentile, runLoad, runOpenLoad } from '../lib/load';
import { Measured, measured } from '../lib/stats';

export const ORDER_MODES = [
  'at-least-once',
  'exactly-once',
  'exactly-once-1-producer',
  'exactly-once-linger-0',
  'exactly-once-batched',
] as const;
type Mode = (typeof ORDER_MODES)[number];
type Figures = Record<'orders_per_s' | 'posts_per_s' | 'p50_ms' | 'p99_ms' | 'produce_p99_ms', Measured>;

export interface OrdersResult {
  concurrency: number;
  batch_size: number;
  /** A mode the app does not offer (e.g. `transaction_linger_ms` before group commit) is left out. */
  modes: Partial<Record<Mode, Figures & { orders: Measured; drained: boolean }>>;
  /** Key figures: the median of the per-round ratios (the `_spread` fields have them all). */
  exactly_once_batched_vs_at_least_once: number;
  exactly_once_batched_vs_at_least_once_spread: Measured;
  exactly_once_single_vs_at_least_once: number;
  exactly_once_single_vs_at_least_once_spread: Measured;
  drain: { orders: number; orders_per_s: Measured };
  consumer_drain_orders_per_s: number;
  open_loop: {
    rate_per_s: number;
    seconds: number;
    p50_ms: Measured;
    p99_ms: Measured;
    produce_p99_ms: Measured;
    errors: number;
  };
  exactly_once_e2e_p99_ms: number;
  raw_kafkajs: Record<
    'acks_all_msgs_per_s' | 'transaction_per_message_per_s' | 'transaction_per_8_messages_per_s',
    Measured
  >;
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
 * - exactly-once: single orders per POST /orders, the producer's default group commit
 *   (`transaction_linger_ms`), read_committed idempotent consumer;
 * - exactly-once-1-producer: the same on one transactional producer (`transactional_producers: 1`,
 *   one transaction in flight at a time) instead of the default pool;
 * - exactly-once-linger-0: the same with `transaction_linger_ms: 0`, one Kafka transaction per order;
 * - exactly-once-batched: `batchSize` orders per POST /orders/batch (one transaction).
 *
 * Then: the consumer's drain rate on a topic pre-filled while it was down; the POST-to-row latency
 * at a fixed offered rate (open loop) in exactly-once mode; and a raw kafkajs producer in this
 * process, without HTTP, Nest or the lab, for the gap.
 */
export async function benchOrders(opts: {
  reps: number;
  durationMs: number;
  concurrency: number;
  batchSize: number;
  drainTimeoutMs: number;
  drainOrders: number;
  openRatePerS: number;
  openDurationMs: number;
}): Promise<OrdersResult> {
  const raw: Record<string, Array<Record<keyof Figures | 'orders', number>>> = {};
  const drainedAll: Record<string, boolean> = {};
  const batchedRatios: number[] = [];
  const singleRatios: number[] = [];
  const drainRates: number[] = [];
  const open: Array<{ p50: number; p99: number; produce: number; errors: number }> = [];
  const originalProducer = await call<Record<string, unknown>>('GET', `${PRODUCER}/config`);
  const originalConsumer = await call<Record<string, unknown>>('GET', `${CONSUMER}/config`);
  const grouped = typeof originalProducer.transaction_linger_ms === 'number';
  const pooled = typeof originalProducer.transactional_producers === 'number';
  const modes = ORDER_MODES.filter(
    (m) => (grouped || m !== 'exactly-once-linger-0') && (pooled || m !== 'exactly-once-1-producer'),
  );
  let runId = 0;
  try {
    for (let rep = 0; rep < opts.reps; rep++) {
      const round: Partial<Record<Mode, number>> = {};
      for (const mode of modes) {
        await configure(mode, originalProducer);
        await warm(`w${rep}-${mode}`, opts.drainTimeoutMs);
        await call('POST', `${API}/reset`);
        const r = await measureMode(mode, `r${Date.now()}-${runId++}`, opts);
        (raw[mode] ??= []).push(r.figures);
        drainedAll[mode] = (drainedAll[mode] ?? true) && r.drained;
        round[mode] = r.figures.orders_per_s;
      }
      batchedRatios.push(round['exactly-once-batched']! / round['at-least-once']!);
      singleRatios.push(round['exactly-once']! / round['at-least-once']!);
      await configure('exactly-once', originalProducer);
      drainRates.push(await measureDrain(`d${Date.now()}-${rep}`, opts.drainOrders, opts.drainTimeoutMs));
      open.push(
        await measureOpenLoop(`o${Date.now()}-${rep}`, opts.openRatePerS, opts.openDurationMs, opts.drainTimeoutMs),
      );
    }
  } finally {
    await call('POST', `${PRODUCER}/config`, {
      delivery_mode: originalProducer.delivery_mode,
      enable_transactions: originalProducer.enable_transactions,
      ...(grouped ? { transaction_linger_ms: originalProducer.transaction_linger_ms } : {}),
      ...(pooled ? { transactional_producers: originalProducer.transactional_producers } : {}),
    }).catch(() => undefined);
    await call('POST', `${CONSUMER}/config`, {
      processing_mode: originalConsumer.processing_mode,
      enable_idempotency: originalConsumer.enable_idempotency,
    }).catch(() => undefined);
    await call('POST', `${API}/reset`).catch(() => undefined);
  }
  const figures = (mode: Mode) => ({
    orders_per_s: measured(raw[mode].map((r) => r.orders_per_s)),
    posts_per_s: measured(raw[mode].map((r) => r.posts_per_s)),
    p50_ms: measured(raw[mode].map((r) => r.p50_ms)),
    p99_ms: measured(raw[mode].map((r) => r.p99_ms)),
    produce_p99_ms: measured(raw[mode].map((r) => r.produce_p99_ms)),
    orders: measured(raw[mode].map((r) => r.orders)),
    drained: drainedAll[mode],
  });
  const rawKafka = await benchRawKafkajs(opts.reps, opts.durationMs, opts.concurrency);
  const openP99 = measured(open.map((o) => o.p99));
  return {
    concurrency: opts.concurrency,
    batch_size: opts.batchSize,
    modes: Object.fromEntries(modes.map((m) => [m, figures(m)])),
    exactly_once_batched_vs_at_least_once: measured(batchedRatios).median,
    exactly_once_batched_vs_at_least_once_spread: measured(batchedRatios),
    exactly_once_single_vs_at_least_once: measured(singleRatios).median,
    exactly_once_single_vs_at_least_once_spread: measured(singleRatios),
    drain: { orders: opts.drainOrders, orders_per_s: measured(drainRates) },
    consumer_drain_orders_per_s: measured(drainRates).median,
    open_loop: {
      rate_per_s: opts.openRatePerS,
      seconds: opts.openDurationMs / 1000,
      p50_ms: measured(open.map((o) => o.p50)),
      p99_ms: openP99,
      produce_p99_ms: measured(open.map((o) => o.produce)),
      errors: open.reduce((n, o) => n + o.errors, 0),
    },
    exactly_once_e2e_p99_ms: openP99.median,
    raw_kafkajs: rawKafka,
  };
}

async function configure(mode: Mode, original: Record<string, unknown>): Promise<void> {
  const exactly = mode !== 'at-least-once';
  const producer = await call<Record<string, unknown>>('GET', `${PRODUCER}/config`);
  const consumer = await call<Record<string, unknown>>('GET', `${CONSUMER}/config`);
  const delivery = exactly ? 'exactly-once' : 'at-least-once';
  const linger = mode === 'exactly-once-linger-0' ? 0 : original.transaction_linger_ms;
  const producers = mode === 'exactly-once-1-producer' ? 1 : original.transactional_producers;
  if (
    producer.delivery_mode !== delivery ||
    producer.enable_transactions !== exactly ||
    producer.transaction_linger_ms !== linger ||
    producer.transactional_producers !== producers
  ) {
    await call('POST', `${PRODUCER}/config`, {
      delivery_mode: delivery,
      enable_transactions: exactly,
      ...(typeof linger === 'number' ? { transaction_linger_ms: linger } : {}),
      ...(typeof producers === 'number' ? { transactional_producers: producers } : {}),
    });
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
  await waitFor(
    `warm-up order ${id}`,
    async () => ((await call('GET', `${API}/orders/${id}`, undefined, 5000)) ? true : undefined),
    timeoutMs,
    200,
  );
}

function order(id: string) {
  return {
    order_id: id,
    customer_id: 'bench',
    items: [{ name: 'bench item', quantity: 1, price: 1 }],
    total_amount: 1,
  };
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
  if (load.errors || load.non2xx)
    throw new Error(`orders ${mode}: ${load.errors} errors, ${load.non2xx} non-2xx while producing`);
  const drained = await drain(sentAt.size, mode, opts.drainTimeoutMs);
  const { latencies, lastEffect } = await latenciesOf(sentAt);
  const firstSend = Math.min(...sentAt.values());
  return {
    drained,
    figures: {
      orders: latencies.length,
      orders_per_s: latencies.length / ((lastEffect - firstSend) / 1000),
      posts_per_s: load.throughput * (batched ? opts.batchSize : 1),
      p50_ms: percentile(latencies, 0.5),
      p99_ms: percentile(latencies, 0.99),
      produce_p99_ms: load.p99_ms,
    },
  };
}

async function drain(expected: number, what: string, timeoutMs: number): Promise<boolean> {
  let drained = true;
  await waitFor(
    `${expected} ${what} orders to be processed`,
    async () =>
      (await call<Stats>('GET', `${API}/stats`, undefined, 5000)).total_unique_orders >= expected ? true : undefined,
    timeoutMs,
    100,
  ).catch(() => (drained = false));
  await sleep(50);
  return drained;
}

async function latenciesOf(sentAt: Map<string, number>): Promise<{ latencies: number[]; lastEffect: number }> {
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
  return { latencies, lastEffect };
}

/**
 * The consumer's pace on a backlog: the consumer is crashed (its port closes, nothing consumes),
 * `count` orders are published in batches of 100, the consumer is restarted through the main
 * port, and /stats is polled every 50 ms. Rate = orders / (time of the poll that saw them all −
 * time of the first poll that saw any), so the group rejoin after the restart is not counted.
 */
async function measureDrain(run: string, count: number, timeoutMs: number): Promise<number> {
  await warm(`drain-${run}`, timeoutMs);
  await call('POST', `${API}/reset`);
  await call('POST', `${CONSUMER}/simulate/crash`, { restart_after_ms: 600000 });
  await waitFor(
    'the consumer to be down',
    async () => {
      const lab = await call<{ nodes: Array<{ node: string; up: boolean }> }>(
        'GET',
        `${PLATFORM_URL}/admin/labs/orders`,
      );
      return lab.nodes.find((n) => n.node === 'consumer')?.up === false ? true : undefined;
    },
    10000,
    50,
  );
  for (let b = 0; b * 100 < count; b++) {
    const size = Math.min(100, count - b * 100);
    await call('POST', `${PRODUCER}/orders/batch`, {
      orders: Array.from({ length: size }, (_, k) => order(`${run}-${b}-${k}`)),
    });
  }
  await call('POST', `${PLATFORM_URL}/admin/labs/orders/nodes/consumer/restart`);
  let first: number | undefined;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const n = (await call<Stats>('GET', `${API}/stats`, undefined, 5000)).total_unique_orders;
    const now = Date.now();
    if (n > 0) first ??= now;
    if (n >= count) return count / ((now - first!) / 1000);
    await sleep(50);
  }
  throw new Error(`drain: ${count} orders not processed within ${timeoutMs} ms`);
}

/** Single orders at a fixed offered rate (open loop) in exactly-once mode: POST-to-row percentiles. */
async function measureOpenLoop(run: string, ratePerS: number, durationMs: number, timeoutMs: number) {
  await warm(`open-${run}`, timeoutMs);
  await call('POST', `${API}/reset`);
  const sentAt = new Map<string, number>();
  const load = await runOpenLoad({
    url: `${PRODUCER}/orders`,
    ratePerS,
    durationMs,
    maxInFlight: 2000,
    body: (i, at) => {
      sentAt.set(`${run}-${i}`, at);
      return order(`${run}-${i}`);
    },
  });
  await drain(load.requests - load.errors - load.non2xx, 'open-loop', timeoutMs);
  const { latencies } = await latenciesOf(sentAt);
  return {
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    produce: load.p99_ms,
    errors: load.errors + load.non2xx + load.skipped,
  };
}

/**
 * A raw kafkajs producer in this process (no HTTP, Nest, Redis or the lab), on a topic of its own
 * with the orders topic's 3 partitions: `concurrency` callers sending single messages with acks=all;
 * a transactional producer with one message per transaction; and one with `concurrency` messages
 * per transaction (what group commit gives `concurrency` waiting callers). The topic is deleted at the end.
 */
export async function benchRawKafkajs(reps: number, durationMs: number, concurrency: number) {
  const kafka = new Kafka({
    clientId: 'labs-bench-raw',
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    logLevel: logLevel.NOTHING,
  });
  const topic = `${BENCH_ENV.KAFKA_NAMESPACE}.raw-producer`;
  const admin = kafka.admin();
  await admin.connect();
  if (!(await admin.listTopics()).includes(topic))
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  try {
    return await rawRuns(kafka, topic, reps, durationMs, concurrency);
  } finally {
    // The topic is the bench's alone: it goes when the measurement ends, however it ends.
    await admin
      .deleteTopics({ topics: [topic], timeout: 10_000 })
      .catch((err: Error) => process.stderr.write(`bench: could not delete ${topic}: ${err.message}\n`));
    await admin.disconnect();
  }
}

async function rawRuns(kafka: Kafka, topic: string, reps: number, durationMs: number, concurrency: number) {
  const value = JSON.stringify({
    ...order('raw'),
    timestamp: new Date().toISOString(),
    trace_id: null,
    producer: 'raw',
    delivery_mode: 'raw',
  });
  const runs: Record<
    'acks_all_msgs_per_s' | 'transaction_per_message_per_s' | 'transaction_per_8_messages_per_s',
    number[]
  > = {
    acks_all_msgs_per_s: [],
    transaction_per_message_per_s: [],
    transaction_per_8_messages_per_s: [],
  };
  const timed = async (fn: () => Promise<number>) => {
    const deadline = Date.now() + durationMs;
    const started = Date.now();
    let sent = 0;
    while (Date.now() < deadline) sent += await fn();
    return sent / ((Date.now() - started) / 1000);
  };
  let key = 0;
  const messages = (n: number) => Array.from({ length: n }, () => ({ key: `raw-${key++}`, value }));
  for (let rep = 0; rep < reps; rep++) {
    const plain = kafka.producer({ idempotent: false, allowAutoTopicCreation: false });
    await plain.connect();
    const started = Date.now();
    const counts = await Promise.all(
      Array.from({ length: concurrency }, async () => {
        let n = 0;
        while (Date.now() - started < durationMs) {
          await plain.send({ topic, acks: -1, messages: messages(1) });
          n++;
        }
        return n;
      }),
    );
    runs.acks_all_msgs_per_s.push(counts.reduce((a, b) => a + b, 0) / ((Date.now() - started) / 1000));
    await plain.disconnect();
    const tx: Producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      transactionalId: `${topic}-tx`,
      allowAutoTopicCreation: false,
    });
    await tx.connect();
    for (const [field, size] of [
      ['transaction_per_message_per_s', 1],
      ['transaction_per_8_messages_per_s', concurrency],
    ] as const) {
      runs[field].push(
        await timed(async () => {
          const t = await tx.transaction();
          await t.send({ topic, acks: -1, messages: messages(size) });
          await t.commit();
          return size;
        }),
      );
    }
    await tx.disconnect();
  }
  return {
    acks_all_msgs_per_s: measured(runs.acks_all_msgs_per_s),
    transaction_per_message_per_s: measured(runs.transaction_per_message_per_s),
    transaction_per_8_messages_per_s: measured(runs.transaction_per_8_messages_per_s),
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
