import type { RunningApp } from '../../src/bootstrap';
import { LabName } from '../../src/platform/config/lab-plan';
import { nodeUrl } from './app';
import { runConcurrently } from './concurrency';
import { request } from './http';

/**
 * A short workload on every lab, drawn from the seed runbooks' demo steps, sent to each node's own
 * port (as users and k6 do). It drives the races, the fixes and the admin switches so that every
 * metric a dashboard shows gets samples. It never fails: what each call answered is recorded, so a
 * test can report routes that do not exist (yet) or that failed.
 */

export interface WorkloadCall {
  lab: LabName;
  node: string;
  method: string;
  path: string;
  status: number;
  code?: string;
}

export class WorkloadRecorder {
  readonly calls: WorkloadCall[] = [];

  constructor(private readonly app: RunningApp) {}

  async call(lab: LabName, node: string, method: string, path: string, body?: unknown): Promise<WorkloadCall> {
    let status = 0;
    let code: string | undefined;
    try {
      const res = await request(method, `${nodeUrl(this.app, lab, node)}${path}`, body);
      status = res.status;
      code = typeof res.body === 'object' && res.body !== null ? (res.body as { code?: string }).code : undefined;
    } catch (err) {
      code = `FETCH_FAILED: ${(err as Error).message}`;
    }
    const entry = { lab, node, method, path, status, code };
    this.calls.push(entry);
    return entry;
  }

  /** After a crash: polls the node's /health (not recorded) until it answers 200, for up to `timeoutMs`. */
  async waitUntilUp(lab: LabName, node: string, timeoutMs = 15_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      await sleep(250);
      const res = await fetch(`${nodeUrl(this.app, lab, node)}/health`).then(
        (r) => r.status,
        () => 0,
      );
      if (res === 200) return true;
    }
    return false;
  }

  /** Calls answered "no such route": the lab (or that part of it) is not there yet. */
  missingRoutes(): string[] {
    return unique(
      this.calls
        .filter((c) => c.code === 'REQUEST.ROUTE_NOT_FOUND')
        .map((c) => `${c.lab}:${c.node} ${c.method} ${c.path.split('?')[0]}`),
    );
  }

  /** Calls that failed on the server side or never got an answer. */
  failures(): string[] {
    return unique(
      this.calls
        .filter((c) => c.status === 0 || c.status >= 500)
        .map((c) => `${c.lab}:${c.node} ${c.method} ${c.path} → ${c.status || ''} ${c.code ?? ''}`.trim()),
    );
  }

  /** Labs where every workload call found no route. */
  absentLabs(): LabName[] {
    const labs = unique(this.calls.map((c) => c.lab)) as LabName[];
    return labs.filter((lab) =>
      this.calls
        .filter((c) => c.lab === lab)
        .every((c) => c.code === 'REQUEST.ROUTE_NOT_FOUND' && !c.path.startsWith('/health')),
    );
  }
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type LabWorkload = (w: WorkloadRecorder, round: number) => Promise<void>;

/** Seed 01: the same seat booked by 10 customers at once under each locking strategy. */
export const bookingWorkload: LabWorkload = async (w, round) => {
  const call = (method: string, path: string, body?: unknown) => w.call('booking', 'booking', method, path, body);
  await call('GET', '/health');
  await call('GET', '/events/1');
  await call('GET', '/events/1/seats?available_only=true');
  await call('GET', '/admin/strategy');
  for (const strategy of ['none', 'pessimistic', 'optimistic', 'distributed']) {
    await call('POST', '/admin/strategy', { strategy });
    await call('POST', '/admin/reset?event_id=1');
    await runConcurrently(10, (i) =>
      call('POST', '/book', { event_id: 1, seat_number: 'A1', customer_id: `obs_${round}_${i}` }),
    );
    await call('GET', '/admin/double-bookings');
    await call('GET', '/admin/stats');
  }
  await call('GET', '/events/1');
  await call('POST', '/admin/strategy', { strategy: 'none' });
};

/** Seed 02: two 800 transfers from alice at once, vulnerable and with transactions. */
export const bankWorkload: LabWorkload = async (w) => {
  const call = (method: string, path: string, body?: unknown) => w.call('bank', 'bank', method, path, body);
  const doubleSpend = () =>
    runConcurrently(2, (i) =>
      call('POST', '/transfer', { from_account: 'alice', to_account: i === 0 ? 'bob' : 'charlie', amount: 800 }),
    );
  await call('GET', '/health');
  await call('GET', '/accounts');
  await call('POST', '/admin/delay?enabled=true&ms=50');
  for (const enabled of [false, true]) {
    await call('POST', `/admin/transactions?enabled=${enabled}`);
    await call('POST', '/reset');
    await doubleSpend();
    await call('GET', '/accounts/alice');
  }
  await call('POST', '/reset');
  await call('POST', '/admin/barrier?enabled=true&count=2');
  await doubleSpend();
  await call('POST', '/admin/barrier?enabled=false');
  await call('POST', '/transfer', { from_account: 'bob', to_account: 'alice', amount: 1_000_000 });
  await call('GET', '/admin/settings');
  await call('GET', '/transactions?limit=5');
  await call('POST', '/admin/transactions?enabled=false');
  await call('POST', '/admin/delay?enabled=false');
  await call('POST', '/reset');
};

const order = (customer: string, price = 10) => ({
  customer_id: customer,
  items: [{ name: `Item ${customer}`, quantity: 1, price }],
  total_amount: price,
});

/** Seed 03: orders in every delivery mode, a duplicate, a batch, and a consumer crash mid-stream. */
export const ordersWorkload: LabWorkload = async (w, round) => {
  const producer = (method: string, path: string, body?: unknown) => w.call('orders', 'producer', method, path, body);
  const consumer = (method: string, path: string, body?: unknown) => w.call('orders', 'consumer', method, path, body);
  const api = (method: string, path: string, body?: unknown) => w.call('orders', 'api', method, path, body);
  await producer('GET', '/health');
  await consumer('GET', '/health');
  await api('GET', '/health');
  await producer('GET', '/config');
  await consumer('GET', '/config');
  await consumer('POST', '/config', { enable_idempotency: true, crash_after_messages: 0 });
  for (const mode of ['at-most-once', 'at-least-once', 'exactly-once']) {
    await producer('POST', '/config', { delivery_mode: mode });
    for (let i = 0; i < 3; i++) await producer('POST', '/orders', order(`obs-${mode}-${round}-${i}`));
  }
  await producer('POST', '/simulate/duplicate', { ...order(`dup-${round}`, 25), order_id: `OBS-DUP-${round}` });
  await producer('POST', '/orders/batch', { orders: [order(`batch-${round}-1`, 15), order(`batch-${round}-2`, 20)] });
  await consumer('POST', '/reset-stats');
  await consumer('POST', '/config', { enable_idempotency: false, crash_after_messages: 3 });
  for (let i = 0; i < 5; i++) await producer('POST', '/orders', order(`crash-${round}-${i}`));
  await w.waitUntilUp('orders', 'consumer');
  await consumer('POST', '/config', { enable_idempotency: true, crash_after_messages: 0 });
  await consumer('GET', '/stats');
  await api('GET', '/stats');
  await api('GET', '/stats/duplicates');
  await api('GET', '/orders?limit=10');
  await api('GET', '/kafka/lag');
  await api('GET', '/kafka/topics');
  await api('GET', '/compare/semantics');
};

/** Seed 04: increments through the gateway and on regions, a partition healed by anti-entropy, the strong counter. */
export const counterWorkload: LabWorkload = async (w) => {
  const gateway = (method: string, path: string, body?: unknown) => w.call('counter', 'gateway', method, path, body);
  await gateway('GET', '/health');
  await gateway('GET', '/api/status');
  for (let i = 0; i < 10; i++) await gateway('POST', '/api/increment', { counter_name: 'views', amount: 1 });
  await gateway('GET', '/api/counter/views');
  await w.call('counter', 'us-east', 'POST', '/increment', { counter_name: 'consistency_test', amount: 100 });
  for (const region of ['us-east', 'us-west', 'eu-west']) {
    await w.call('counter', region, 'GET', '/counter/consistency_test');
    await w.call('counter', region, 'GET', '/counters');
  }
  await gateway('POST', '/admin/partition/us-east?enabled=true');
  for (let i = 0; i < 5; i++) await gateway('POST', '/api/increment', { counter_name: 'partition_demo', amount: 1 });
  await w.call('counter', 'us-east', 'POST', '/increment', { counter_name: 'partition_demo', amount: 50 });
  await w.call('counter', 'us-east', 'GET', '/admin/partition');
  await gateway('GET', '/api/counter/partition_demo');
  await gateway('POST', '/admin/partition/us-east?enabled=false');
  await gateway('POST', '/admin/force-sync');
  await gateway('GET', '/api/counter/partition_demo');
  await w.call('counter', 'coordinator', 'GET', '/global/status');
  await w.call('counter', 'coordinator', 'GET', '/global/counter/views');
  await w.call('counter', 'strong', 'POST', '/increment', { counter_name: 'strong_test', amount: 1 });
  await gateway('POST', '/api/compare', { counter_name: 'benchmark', iterations: 5 });
  await gateway('POST', '/admin/partition/all?enabled=false');
};

/** Seed 05: writes on the primary, stale reads from lagging replicas, waiting for consistency. */
export const replicationWorkload: LabWorkload = async (w, round) => {
  const primary = (method: string, path: string, body?: unknown) =>
    w.call('replication', 'primary', method, path, body);
  const client = (method: string, path: string, body?: unknown) => w.call('replication', 'client', method, path, body);
  await primary('GET', '/health');
  await primary('GET', '/admin/replication-delays');
  await primary('POST', '/data', { key: `obs-${round}`, value: 'Hello, Distributed World!' });
  await primary('GET', '/data');
  await primary('GET', '/version');
  for (const replica of ['replica1', 'replica2']) {
    await w.call('replication', replica, 'GET', '/data');
    await w.call('replication', replica, 'GET', '/version');
  }
  await client('POST', '/write-and-read', { key: `stale-${round}`, value: 'will-replicas-see-this?' });
  await client('POST', '/write-and-wait?timeout_ms=5000', { key: `wait-${round}`, value: 'measuring' });
  await client('GET', '/read-compare');
  await client('GET', '/status');
};

export const LAB_WORKLOADS: Record<LabName, LabWorkload> = {
  booking: bookingWorkload,
  bank: bankWorkload,
  orders: ordersWorkload,
  counter: counterWorkload,
  replication: replicationWorkload,
};

/** Runs every lab's workload `rounds` times, the labs side by side, pausing `pauseMs` between rounds. */
export async function runWorkload(app: RunningApp, rounds: number, pauseMs: number): Promise<WorkloadRecorder> {
  const recorder = new WorkloadRecorder(app);
  for (let round = 0; round < rounds; round++) {
    await Promise.all(Object.values(LAB_WORKLOADS).map((workload) => workload(recorder, round)));
    if (round < rounds - 1) await sleep(pauseMs);
  }
  return recorder;
}
