import { Injectable } from '@nestjs/common';
import { LabDatabase } from '../../../platform/database/lab-database';
import {
  CheckContext,
  ExperimentCatalogEntry,
  ExperimentRunContext,
  HistoryOp,
  LabExperiment,
  LabExperimentProvider,
  NemesisStep,
  OpOutcome,
  PlannedOp,
  Rng,
  Verdict,
  WorkloadParams,
} from '../../../platform/experiments/experiment.contract';
import {
  ExperimentReply as Reply,
  experimentAdmin as admin,
  experimentRequest as request,
  outcomeOfError,
} from '../../../platform/experiments/experiment-http';
import { NodeLifecycleService } from '../../../platform/faults/node-lifecycle.service';
import { checkOrdersHistory } from '../domain/orders-history.checker';
import { CRASH_POINTS, CrashPoint, ORDERS_LAB, ORDERS_NODES } from '../orders.config';

/** The experiment's strategies: each is one end-to-end delivery semantic (producer, consumer, idempotency). */
export const ORDERS_EXPERIMENT_STRATEGIES = {
  'at-most-once': { delivery_mode: 'at-most-once', processing_mode: 'at-most-once', enable_idempotency: false },
  'at-least-once': { delivery_mode: 'at-least-once', processing_mode: 'at-least-once', enable_idempotency: false },
  'exactly-once': { delivery_mode: 'exactly-once', processing_mode: 'exactly-once', enable_idempotency: true },
} as const;
type Semantic = keyof typeof ORDERS_EXPERIMENT_STRATEGIES;

const { producer: PRODUCER, consumer: CONSUMER, api: API } = ORDERS_NODES;
/** Each drain op waits at most this long (under the platform's per-op timeout); several run in a row. */
const DRAIN_SLICE_MS = 4000;
const DRAIN_OPS = 8;
/** The consumer restarts by itself this long after a crash point fires (a restart policy), unless the step heals it first. */
const CRASH_RESTART_MS = 1000;

interface RunState {
  prefix: string;
  drained: boolean;
  killer?: NodeJS.Timeout;
  backendsKilled: number;
  before?: { producer: Record<string, unknown>; consumer: Record<string, unknown> };
}

/**
 * Producers send orders while the consumer is crashed at its crash points (the lab's
 * `crash_after_messages` / `crash_point`): at-most-once loses the order in flight, at-least-once
 * applies it twice, exactly-once neither. Orders go over HTTP to the producer's own port; the
 * final read counts each order's side effects in `orders.orders` (`applied_count`).
 */
@Injectable()
@LabExperimentProvider()
export class OrdersExperiment extends LabExperiment {
  readonly lab = ORDERS_LAB;
  private readonly runs = new Map<string, RunState>();

  constructor(
    private readonly db: LabDatabase,
    private readonly lifecycle: NodeLifecycleService,
  ) {
    super();
  }

  catalog(): ExperimentCatalogEntry {
    return {
      lab: ORDERS_LAB,
      description:
        'Producers send orders through Kafka to the consumer under crash schedules; every acknowledged order must be applied exactly once (Jepsen set, Maelstrom kafka). The checker names each lost (acknowledged, absent) and duplicated (applied twice) order and says which guarantee the run showed.',
      workloads: [
        {
          name: 'orders',
          description:
            'Each client sends distinct orders to POST /orders on the producer; a final read counts every order’s side effects in PostgreSQL.',
        },
      ],
      defaultWorkload: 'orders',
      nemeses: [
        { name: 'none', description: 'No faults.', schedule: () => [] },
        {
          name: 'crash-consumer',
          description:
            'Three consumer crashes, at least one before its database write and one after it (before the offset commit); each restarts after 1 s.',
          schedule: (rng, params) => crashSchedule(rng, params),
        },
        {
          name: 'kill-db-backends',
          description:
            'For the middle 60% of the run, every 100 ms, pg_terminate_backend on every PostgreSQL connection of the orders lab’s pool (busy or idle): what a database failover does to open connections.',
          schedule: (_rng, params) => {
            const runMs = expectedRunMs(params);
            return [
              {
                at_ms: Math.round(runMs * 0.15),
                fault: 'kill-db-backends',
                params: { interval_ms: 100 },
                duration_ms: Math.round(runMs * 0.6),
              },
            ];
          },
        },
      ],
      defaultNemesis: 'crash-consumer',
      strategies: Object.keys(ORDERS_EXPERIMENT_STRATEGIES),
      defaultStrategy: 'at-most-once',
      faults: ['crash-consumer', 'kill-db-backends'],
      defaults: { concurrency: 4, ops: 200, rate: 20, duration_ms: 20_000, op_timeout_ms: 5_000 },
      params: [],
      expectations: [
        { strategy: 'at-most-once', nemesis: 'crash-consumer', expected: 'invalid' },
        { strategy: 'at-least-once', nemesis: 'crash-consumer', expected: 'invalid' },
        { strategy: 'exactly-once', nemesis: 'crash-consumer', expected: 'valid' },
        { strategy: 'exactly-once', nemesis: 'kill-db-backends', expected: 'valid' },
      ],
    };
  }

  async prepare(ctx: Omit<ExperimentRunContext, 'setup'>): Promise<Record<string, unknown>> {
    const semantic = ORDERS_EXPERIMENT_STRATEGIES[ctx.strategy as Semantic];
    if (!semantic) throw new Error(`orders has no experiment strategy ${ctx.strategy}`);
    const state: RunState = { prefix: `x${ctx.id.replace(/-/g, '').slice(0, 12)}`, drained: false, backendsKilled: 0 };
    this.runs.set(ctx.id, state);
    const [producer, consumer] = await Promise.all([
      admin(ctx, 'GET', PRODUCER, `/config`),
      admin(ctx, 'GET', CONSUMER, `/config`),
    ]);
    if (producer.status !== 200 || consumer.status !== 200)
      throw new Error('the orders producer or consumer does not answer /config');
    state.before = { producer: producer.body, consumer: consumer.body };
    await expectOk(
      admin(ctx, 'POST', PRODUCER, `/config`, { delivery_mode: semantic.delivery_mode, enable_transactions: true }),
    );
    await expectOk(
      admin(ctx, 'POST', CONSUMER, `/config`, {
        processing_mode: semantic.processing_mode,
        enable_idempotency: semantic.enable_idempotency,
        failure_rate: 0,
        crash_after_messages: 0,
      }),
    );
    await waitFor(
      ctx,
      20_000,
      async () => (await admin(ctx, 'GET', CONSUMER, `/health`)).body.kafka_consumer_running === true,
    );
    return { prefix: state.prefix, ...semantic };
  }

  plan(rng: Rng, params: WorkloadParams): PlannedOp[] {
    const ops: PlannedOp[] = [];
    for (let i = 0; i < params.ops; i++) {
      ops.push({
        process: i % params.concurrency,
        f: 'send',
        node: PRODUCER,
        value: {
          order_id: `o${i}`,
          customer_id: `c${rng.int(1, 20)}`,
          quantity: rng.int(1, 5),
          price: rng.int(100, 9999) / 100,
        },
      });
    }
    return ops;
  }

  override finalOps(): PlannedOp[] {
    return [
      ...Array.from({ length: DRAIN_OPS }, () => ({ process: 0, f: 'drain', node: API, value: null })),
      { process: 0, f: 'read', node: API, value: null },
    ];
  }

  async execute(op: PlannedOp, ctx: ExperimentRunContext): Promise<OpOutcome> {
    const state = this.state(ctx);
    switch (op.f) {
      case 'send': {
        const v = op.value as { order_id: string; customer_id: string; quantity: number; price: number };
        const res = await request(ctx, 'POST', PRODUCER, `/orders`, {
          order_id: `${state.prefix}-${v.order_id}`,
          customer_id: v.customer_id,
          items: [{ name: 'Widget', quantity: v.quantity, price: v.price }],
          total_amount: Math.round(v.quantity * v.price * 100) / 100,
        });
        if (res.status === 200) return { type: 'ok', value: { order_id: v.order_id } };
        // Refused by validation (4xx): certainly not sent. Anything else (503, 5xx) may have reached the broker.
        return outcomeOfError(res, { order_id: v.order_id });
      }
      case 'drain': {
        if (!state.drained)
          state.drained = await this.drain(
            ctx,
            state,
            Math.min(DRAIN_SLICE_MS, Number(ctx.params.op_timeout_ms ?? 5000) - 500),
          );
        return { type: 'ok', value: { drained: state.drained } };
      }
      case 'read': {
        const rows = await this.db.query<{ order_id: string; applied_count: number }>(
          `SELECT order_id, applied_count FROM orders.orders WHERE order_id LIKE $1`,
          [`${state.prefix}-%`],
        );
        const applied: Record<string, number> = {};
        for (const row of rows) applied[row.order_id.slice(state.prefix.length + 1)] = Number(row.applied_count);
        return { type: 'ok', value: { applied, drained: state.drained, backends_killed: state.backendsKilled } };
      }
      default:
        return { type: 'fail', error: `unknown op ${op.f}` };
    }
  }

  async startFault(step: NemesisStep, ctx: ExperimentRunContext): Promise<void> {
    if (step.fault === 'kill-db-backends') return this.startKilling(step, ctx);
    if (step.fault !== 'crash-consumer') throw new Error(`orders has no fault ${step.fault}`);
    const point = (step.params?.crash_point as CrashPoint | undefined) ?? 'after-db-write';
    if (!CRASH_POINTS.includes(point)) throw new Error(`unknown crash point ${String(point)}`);
    await expectOk(
      admin(ctx, 'POST', CONSUMER, `/config`, {
        crash_after_messages: Number(step.params?.after_messages ?? 1),
        crash_point: point,
        restart_after_ms: Math.max(CRASH_RESTART_MS, step.duration_ms),
      }),
    );
  }

  /** Heals: stop killing backends; restart a consumer still down, and disarm a crash point that never fired. */
  async stopFault(step: NemesisStep, ctx: ExperimentRunContext): Promise<void> {
    if (step.fault === 'kill-db-backends') {
      const state = this.state(ctx);
      clearInterval(state.killer);
      state.killer = undefined;
      return;
    }
    if (this.lifecycle.isDown(ORDERS_LAB, CONSUMER)) await this.lifecycle.restart(ORDERS_LAB, CONSUMER);
    await waitFor(
      ctx,
      15_000,
      async () => (await admin(ctx, 'POST', CONSUMER, `/config`, { crash_after_messages: 0 })).status === 200,
    );
  }

  check = (history: readonly HistoryOp[], context: CheckContext): Verdict => checkOrdersHistory(history, context);

  override async teardown(ctx: ExperimentRunContext): Promise<void> {
    const state = this.runs.get(ctx.id);
    this.runs.delete(ctx.id);
    clearInterval(state?.killer);
    if (!state?.before) return;
    const { producer, consumer } = state.before;
    if (this.lifecycle.isDown(ORDERS_LAB, CONSUMER)) await this.lifecycle.restart(ORDERS_LAB, CONSUMER);
    await admin(ctx, 'POST', PRODUCER, `/config`, {
      delivery_mode: producer.delivery_mode,
      enable_transactions: producer.enable_transactions,
    });
    await admin(ctx, 'POST', CONSUMER, `/config`, {
      processing_mode: consumer.processing_mode,
      enable_idempotency: consumer.enable_idempotency,
      failure_rate: consumer.failure_rate,
      crash_after_messages: 0,
      crash_point: consumer.crash_point,
      restart_after_ms: consumer.restart_after_ms,
    });
  }

  /**
   * Terminates, every interval, every backend of the orders lab's own pool (`application_name`
   * labs-orders: the consumer's transactions, the api's reads), busy or idle, as a failover would.
   */
  private async startKilling(step: NemesisStep, ctx: ExperimentRunContext): Promise<void> {
    const state = this.state(ctx);
    const intervalMs = Math.max(50, Number(step.params?.interval_ms ?? 250));
    const kill = async () => {
      const rows = (await this.db.query(
        `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = $1`,
        [`labs-${ORDERS_LAB}`],
      )) as Array<{ killed: boolean }>;
      state.backendsKilled += rows.filter((r) => r.killed).length;
    };
    clearInterval(state.killer);
    await kill();
    state.killer = setInterval(() => void kill().catch(() => undefined), intervalMs);
    state.killer.unref();
  }

  private state(ctx: ExperimentRunContext): RunState {
    const state = this.runs.get(ctx.id) ?? { prefix: String(ctx.setup.prefix), drained: false, backendsKilled: 0 };
    this.runs.set(ctx.id, state);
    return state;
  }

  /**
   * Drained: the consumer is up, its group has no lag, and the run's orders stopped changing
   * (at-most-once commits before it writes, so no lag alone does not mean written).
   */
  private async drain(ctx: ExperimentRunContext, state: RunState, budgetMs: number): Promise<boolean> {
    let last = -1;
    return waitFor(ctx, budgetMs, async () => {
      const [health, lag] = await Promise.all([
        admin(ctx, 'GET', CONSUMER, `/health`),
        admin(ctx, 'GET', API, `/kafka/lag`),
      ]);
      if (health.body.kafka_consumer_running !== true || lag.status !== 200 || lag.body.total_lag !== 0) return false;
      const [{ n }] = await this.db.query<{ n: number }>(
        `SELECT coalesce(sum(applied_count), 0)::int AS n FROM orders.orders WHERE order_id LIKE $1`,
        [`${state.prefix}-%`],
      );
      const stable = n === last;
      last = n;
      return stable;
    }).catch(() => false);
  }
}

/** Three crashes over the expected length of the run; both points that matter appear. */
export function crashSchedule(rng: Rng, params: WorkloadParams): NemesisStep[] {
  const runMs = expectedRunMs(params);
  const points: CrashPoint[] = [
    'before-db-write',
    'after-db-write',
    rng.next() < 0.5 ? 'before-db-write' : 'after-db-write',
  ];
  for (let i = points.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [points[i], points[j]] = [points[j], points[i]];
  }
  return points.map((crash_point, k) => ({
    at_ms: Math.round(runMs * (0.12 + 0.28 * k) + rng.int(0, Math.round(runMs * 0.05))),
    fault: 'crash-consumer',
    target: CONSUMER,
    params: { crash_point, after_messages: rng.int(1, 3) },
    duration_ms: CRASH_RESTART_MS,
  }));
}

/** How long the clients will send for: the ops at the rate, within duration_ms. */
export function expectedRunMs(params: WorkloadParams): number {
  const rate = Number(params.rate ?? 0);
  const byRate = rate > 0 ? (params.ops / rate) * 1000 : params.duration_ms;
  return Math.max(1000, Math.min(params.duration_ms, byRate));
}

async function expectOk(reply: Promise<Reply>): Promise<Reply> {
  const res = await reply;
  if (res.status !== 200) throw new Error(`orders answered ${httpError(res)}`);
  return res;
}

function httpError(res: Reply): string {
  return res.status === 0 ? String(res.body.message) : `${res.status} ${String(res.body.code ?? '')}`.trim();
}

async function waitFor(
  ctx: Omit<ExperimentRunContext, 'setup'>,
  budgetMs: number,
  done: () => Promise<boolean>,
): Promise<boolean> {
  const deadline = Date.now() + budgetMs;
  for (;;) {
    if (await done()) return true;
    if (Date.now() >= deadline || ctx.signal.aborted) return false;
    await new Promise((r) => setTimeout(r, 150));
  }
}
