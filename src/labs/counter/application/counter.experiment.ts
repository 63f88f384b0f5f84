import { Injectable } from '@nestjs/common';
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
import { StrategySelectionService } from '../../../platform/strategy/strategy-selection.service';
import { LAB, REGIONS } from '../counter.config';
import { checkCounterHistory } from '../domain/counter-history.checker';
import { GLOBAL_VIEW_PORT } from '../strategies/global-view.port';
import { STRONG_COUNTER_PORT } from '../strategies/strong-counter.port';

/** Experiment strategies: the gateway's global view (over the CRDT regions), or the strong counter doing the same work. */
const STRATEGY_PORT: Record<string, string> = {
  'crdt-merge': GLOBAL_VIEW_PORT,
  'max-of-totals': GLOBAL_VIEW_PORT,
  'postgres-row-lock': STRONG_COUNTER_PORT,
  'redis-incr': STRONG_COUNTER_PORT,
};
const NODES = ['gateway', ...REGIONS];
/** Anti-entropy interval during a run (restored after): short, so the regions lag by little outside partitions. */
const SYNC_INTERVAL_MS = 500;
const CONVERGE_OPS = 6;
const CONVERGE_SLICE_MS = 4000;

interface RunState {
  prefix: string;
  strong: boolean;
  converged: boolean;
  before: { selection: string; syncIntervalMs: number | null };
}

/**
 * G- and PN-increments at the regions (and G through the gateway), reads at every region and at
 * the gateway, under partition schedules. Every read is checked against the increments around it
 * (Jepsen's counter), with each node's promise: the gateway's global count is linearizable, a
 * region owes only its own acknowledgements; after the heal every region reads the exact sum.
 * With a strong-counter strategy the same operations go to the strong node instead.
 */
@Injectable()
@LabExperimentProvider()
export class CounterExperiment extends LabExperiment {
  readonly lab = LAB;
  private readonly runs = new Map<string, RunState>();

  constructor(private readonly selection: StrategySelectionService) {
    super();
  }

  catalog(): ExperimentCatalogEntry {
    return {
      lab: LAB,
      description:
        'Increments (G-Counter and PN-Counter) at the regions and through the gateway, reads everywhere, under partition schedules. Every read must lie within [ok increments completed before it began, increments invoked before it completed] for the node’s promise, and after the heal every region must read the sum of the ok increments.',
      workloads: [
        {
          name: 'mixed',
          description:
            'G increments at a region or through the gateway, PN increments and decrements at a region; G reads at a region or the gateway, PN reads at a region. Strong strategies send the same operations to the strong counter (which has no decrement: those fail unsent).',
        },
      ],
      defaultWorkload: 'mixed',
      nemeses: [
        { name: 'none', description: 'No faults.', schedule: () => [] },
        {
          name: 'partition-one',
          description: 'One region cut off from its peers for the middle half of the run, then healed.',
          schedule: (rng, params) => {
            const runMs = expectedRunMs(params);
            return [
              {
                at_ms: Math.round(runMs * 0.2),
                fault: 'partition',
                target: rng.pick(REGIONS),
                duration_ms: Math.round(runMs * 0.5),
              },
            ];
          },
        },
        {
          name: 'partition-flapping',
          description: 'Regions cut off and healed over and over (600–1500 ms each, one region at a time).',
          schedule: (rng, params) => flappingSchedule(rng, params),
        },
      ],
      defaultNemesis: 'partition-flapping',
      strategies: Object.keys(STRATEGY_PORT),
      defaultStrategy: 'crdt-merge',
      faults: ['partition'],
      defaults: { concurrency: 5, ops: 200, rate: 20, duration_ms: 20_000, op_timeout_ms: 5_000 },
      params: [
        {
          name: 'linearizable_regions',
          type: 'boolean',
          default: false,
          description:
            'Hold region reads to the strong promise too (every ok increment completed before the read began). An eventually consistent region fails it as soon as it lags, and under a partition for as long as the cut lasts.',
        },
      ],
      expectations: [
        { strategy: 'crdt-merge', nemesis: 'partition-flapping', expected: 'valid' },
        { strategy: 'max-of-totals', nemesis: 'partition-flapping', expected: 'invalid' },
        { strategy: 'postgres-row-lock', nemesis: 'partition-flapping', expected: 'valid' },
        { strategy: 'redis-incr', nemesis: 'partition-flapping', expected: 'valid' },
      ],
    };
  }

  async prepare(ctx: Omit<ExperimentRunContext, 'setup'>): Promise<Record<string, unknown>> {
    const port = STRATEGY_PORT[ctx.strategy];
    if (!port) throw new Error(`counter has no experiment strategy ${ctx.strategy}`);
    const strictRegions = ctx.params.linearizable_regions === true;
    const strong = port === STRONG_COUNTER_PORT;
    const sync = await admin(ctx, 'GET', 'gateway', `/admin/sync-settings`);
    const state: RunState = {
      prefix: `x${ctx.id.replace(/-/g, '').slice(0, 12)}`,
      strong,
      converged: false,
      before: {
        selection: await this.selection.current(LAB, port),
        syncIntervalMs: typeof sync.body.interval_ms === 'number' ? sync.body.interval_ms : null,
      },
    };
    this.runs.set(ctx.id, state);
    await this.selection.select(LAB, port, ctx.strategy);
    if (!strong)
      await expectOk(admin(ctx, 'POST', 'gateway', `/admin/sync-settings`, { interval_ms: SYNC_INTERVAL_MS }));
    // Start from no partition at all.
    if (!strong) await expectOk(admin(ctx, 'POST', 'gateway', `/admin/partition/all?enabled=false`));
    const linearizable = strong || strictRegions ? NODES : ['gateway'];
    return {
      prefix: state.prefix,
      strong,
      linearizable_regions: strictRegions,
      linearizable_nodes: linearizable,
      counters: { g: `${state.prefix}-g`, pn: `${state.prefix}-pn` },
    };
  }

  plan(rng: Rng, params: WorkloadParams): PlannedOp[] {
    const ops: PlannedOp[] = [];
    for (let i = 0; i < params.ops; i++) {
      const process = i % params.concurrency;
      const r = rng.next();
      const amount = rng.int(1, 5);
      if (r < 0.25) ops.push({ process, f: 'add', node: rng.pick(REGIONS), value: { counter: 'g', amount } });
      else if (r < 0.4) ops.push({ process, f: 'add', node: 'gateway', value: { counter: 'g', amount } });
      else if (r < 0.5)
        ops.push({
          process,
          f: 'add',
          node: rng.pick(REGIONS),
          value: { counter: 'pn', amount: rng.next() < 0.6 ? amount : -amount },
        });
      else if (r < 0.72) ops.push({ process, f: 'read', node: rng.pick(REGIONS), value: { counter: 'g' } });
      else if (r < 0.9) ops.push({ process, f: 'read', node: 'gateway', value: { counter: 'g' } });
      else ops.push({ process, f: 'read', node: rng.pick(REGIONS), value: { counter: 'pn' } });
    }
    return ops;
  }

  override finalOps(): PlannedOp[] {
    const converge = Array.from({ length: CONVERGE_OPS }, () => ({
      process: 0,
      f: 'converge',
      node: 'gateway',
      value: null,
    }));
    const reads = REGIONS.flatMap((region) =>
      ['g', 'pn'].map((counter) => ({ process: 0, f: 'final-read', node: region, value: { counter } })),
    );
    return [...converge, ...reads];
  }

  async execute(op: PlannedOp, ctx: ExperimentRunContext): Promise<OpOutcome> {
    const state = this.state(ctx);
    const v = (op.value ?? {}) as { counter: 'g' | 'pn'; amount?: number };
    const name = `${state.prefix}-${v.counter}`;
    const node = op.node ?? 'gateway';
    switch (op.f) {
      case 'add': {
        const amount = v.amount ?? 1;
        if (state.strong) {
          if (amount < 0)
            return { type: 'fail', node: 'strong', error: 'the strong counter has no decrement (not sent)' };
          return outcome(
            await request(ctx, 'POST', 'strong', `/increment`, { counter_name: name, amount }),
            op.value,
            () => 'strong',
          );
        }
        if (v.counter === 'pn') {
          const path = amount < 0 ? 'pn/decrement' : 'pn/increment';
          return outcome(
            await request(ctx, 'POST', node, `/${path}`, { counter_name: name, amount: Math.abs(amount) }),
            op.value,
            () => node,
          );
        }
        if (node === 'gateway') {
          const res = await request(ctx, 'POST', 'gateway', `/api/increment`, {
            counter_name: name,
            amount,
            routing: 'random',
          });
          return outcome(res, op.value, () => (typeof res.body.region === 'string' ? res.body.region : undefined));
        }
        return outcome(
          await request(ctx, 'POST', node, `/increment`, { counter_name: name, amount }),
          op.value,
          () => node,
        );
      }
      case 'read':
      case 'final-read': {
        const res = await this.read(ctx, state, node, v.counter, name);
        if (res.status !== 200 || typeof res.value !== 'number') return outcomeOfError(res.reply, op.value);
        return { type: 'ok', value: { counter: v.counter, value: res.value, ...(res.extra ?? {}) } };
      }
      case 'converge': {
        if (!state.strong && !state.converged)
          state.converged = await this.converge(
            ctx,
            state,
            Math.min(CONVERGE_SLICE_MS, Number(ctx.params.op_timeout_ms ?? 5000) - 500),
          );
        return { type: 'ok', value: { converged: state.strong || state.converged } };
      }
      default:
        return { type: 'fail', error: `unknown op ${op.f}` };
    }
  }

  async startFault(step: NemesisStep, ctx: ExperimentRunContext): Promise<void> {
    if (step.fault !== 'partition') throw new Error(`counter has no fault ${step.fault}`);
    await expectOk(admin(ctx, 'POST', 'gateway', `/admin/partition/${partitionTarget(step)}?enabled=true`));
  }

  async stopFault(step: NemesisStep, ctx: ExperimentRunContext): Promise<void> {
    await expectOk(admin(ctx, 'POST', 'gateway', `/admin/partition/${partitionTarget(step)}?enabled=false`));
  }

  check = (history: readonly HistoryOp[], context: CheckContext): Verdict => checkCounterHistory(history, context);

  override async teardown(ctx: ExperimentRunContext): Promise<void> {
    const state = this.runs.get(ctx.id);
    this.runs.delete(ctx.id);
    if (!state) return;
    await this.selection.select(LAB, STRATEGY_PORT[ctx.strategy], state.before.selection);
    if (!state.strong && state.before.syncIntervalMs !== null) {
      await admin(ctx, 'POST', 'gateway', `/admin/sync-settings`, { interval_ms: state.before.syncIntervalMs });
    }
  }

  private state(ctx: ExperimentRunContext): RunState {
    let state = this.runs.get(ctx.id);
    if (!state) {
      state = {
        prefix: String(ctx.setup.prefix),
        strong: ctx.setup.strong === true,
        converged: false,
        before: { selection: ctx.strategy, syncIntervalMs: null },
      };
      this.runs.set(ctx.id, state);
    }
    return state;
  }

  private async read(ctx: ExperimentRunContext, state: RunState, node: string, counter: 'g' | 'pn', name: string) {
    const path = encodeURIComponent(name);
    if (state.strong) {
      const reply = await request(ctx, 'GET', 'strong', `/counter/${path}`);
      return { reply, status: reply.status, value: reply.body.value as unknown };
    }
    if (node === 'gateway') {
      const reply = await request(ctx, 'GET', 'gateway', `/api/counter/${path}`);
      return {
        reply,
        status: reply.status,
        value: reply.body.global_count as unknown,
        extra: { healthy_regions: reply.body.healthy_regions },
      };
    }
    const reply = await request(ctx, 'GET', node, `/${counter === 'pn' ? 'pn/counter' : 'counter'}/${path}`);
    return {
      reply,
      status: reply.status,
      value: (counter === 'pn' ? reply.body.value : reply.body.total_count) as unknown,
    };
  }

  /** Force a sync round and wait until every region holds the same G and PN values. */
  private async converge(ctx: ExperimentRunContext, state: RunState, budgetMs: number): Promise<boolean> {
    const deadline = Date.now() + budgetMs;
    for (;;) {
      await admin(ctx, 'POST', 'gateway', `/admin/force-sync`, {});
      const views = await Promise.all(
        REGIONS.flatMap((region) => [
          admin(ctx, 'GET', region, `/counter/${state.prefix}-g`),
          admin(ctx, 'GET', region, `/pn/counter/${state.prefix}-pn`),
        ]),
      );
      const g = views.filter((_, i) => i % 2 === 0).map((r) => JSON.stringify(r.body.nodes ?? null));
      const pn = views
        .filter((_, i) => i % 2 === 1)
        .map((r) => `${JSON.stringify(r.body.p ?? null)}${JSON.stringify(r.body.n ?? null)}`);
      if (views.every((r) => r.status === 200) && g.every((x) => x === g[0]) && pn.every((x) => x === pn[0]))
        return true;
      if (Date.now() >= deadline || ctx.signal.aborted) return false;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Partitions one region at a time, over and over, across the run. */
export function flappingSchedule(rng: Rng, params: WorkloadParams): NemesisStep[] {
  const runMs = expectedRunMs(params);
  const steps: NemesisStep[] = [];
  let at = Math.round(runMs * 0.05);
  while (at < runMs * 0.85 && steps.length < 32) {
    const duration = rng.int(600, 1500);
    steps.push({ at_ms: at, fault: 'partition', target: rng.pick(REGIONS), duration_ms: duration });
    at += duration + rng.int(200, 600);
  }
  return steps;
}

export function expectedRunMs(params: WorkloadParams): number {
  const rate = Number(params.rate ?? 0);
  const byRate = rate > 0 ? (params.ops / rate) * 1000 : params.duration_ms;
  return Math.max(1000, Math.min(params.duration_ms, byRate));
}

function partitionTarget(step: NemesisStep): string {
  const target = step.target ?? '';
  if (!(REGIONS as readonly string[]).includes(target))
    throw new Error(`partition needs a region target (${REGIONS.join(', ')}), not "${target}"`);
  return target;
}

async function expectOk(reply: Promise<Reply>): Promise<Reply> {
  const res = await reply;
  if (res.status !== 200) throw new Error(`counter answered ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
  return res;
}

function outcome(res: Reply, value: unknown, ackNode: () => string | undefined): OpOutcome {
  if (res.status !== 200) return outcomeOfError(res, value);
  const node = ackNode();
  return { type: 'ok', value, ...(node ? { node } : {}) };
}
