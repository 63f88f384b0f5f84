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
import { NodeLifecycleService } from '../../../platform/faults/node-lifecycle.service';
import { checkReplicationHistory } from '../domain/replication-history.checker';
import { LAB, READ_STRATEGY_KEYS, REPLICA_NAMES, ReplicaName, isReplicaName } from '../replication.config';

const KEYS = ['k0', 'k1', 'k2', 'k3'];

interface RunState {
  prefix: string;
  /** Session token of each logical client (one session per process). */
  sessions: Map<number, string>;
  /** What the lab had before the run, to restore. */
  before?: { strategy: string; settings: Record<string, number>; delays: Record<string, number> };
  /** A lagged replica's delay before its fault, to restore at the stop. */
  lagged: Map<string, number>;
  crashed: Set<ReplicaName>;
}

/**
 * Sessions write through the primary and read through the selected read strategy (the client
 * node's `/writes` and `/reads`, carrying each session's token), while replicas are lagged or
 * crashed. The checker measures every read's staleness and judges the strategy by its own
 * promise; `t_visibility` in the stats is P(a read sees the latest write) by ms since that write.
 */
@Injectable()
@LabExperimentProvider()
export class ReplicationExperiment extends LabExperiment {
  readonly lab = LAB;
  private readonly runs = new Map<string, RunState>();

  constructor(private readonly lifecycle: NodeLifecycleService) {
    super();
  }

  catalog(): ExperimentCatalogEntry {
    return {
      lab: LAB,
      description:
        'Sessions write to the primary and read through a read strategy while replicas lag or crash. Per read: versions and ms behind the latest acknowledged write; per session: read-your-writes and monotonic-read violations; the t-visibility curve (PBS). Valid when the strategy kept its own promise.',
      workloads: [
        {
          name: 'sessions',
          description:
            'Each client is a session: 30% writes of unique values to one of 4 keys, 70% reads of one of them, through the client node.',
        },
      ],
      defaultWorkload: 'sessions',
      nemeses: [
        { name: 'none', description: 'No faults (the replicas keep their usual lag).', schedule: () => [] },
        {
          name: 'lag-replica',
          description:
            'replica2 lags 3000 ms for most of the run, replica1 1200 ms for its middle (writes made meanwhile arrive that late).',
          schedule: (_rng, params) => {
            const runMs = expectedRunMs(params);
            return [
              {
                at_ms: Math.round(runMs * 0.1),
                fault: 'lag',
                target: 'replica2',
                params: { delay_ms: 3000 },
                duration_ms: Math.round(runMs * 0.6),
              },
              {
                at_ms: Math.round(runMs * 0.3),
                fault: 'lag',
                target: 'replica1',
                params: { delay_ms: 1200 },
                duration_ms: Math.round(runMs * 0.4),
              },
            ];
          },
        },
        {
          name: 'crash-replica',
          description:
            'One replica crashes for the middle half of the run, then restarts and catches up from the primary’s log.',
          schedule: (rng, params) => {
            const runMs = expectedRunMs(params);
            return [
              {
                at_ms: Math.round(runMs * 0.25),
                fault: 'crash',
                target: rng.pick(REPLICA_NAMES),
                duration_ms: Math.round(runMs * 0.5),
              },
            ];
          },
        },
      ],
      defaultNemesis: 'lag-replica',
      strategies: [...READ_STRATEGY_KEYS],
      defaultStrategy: 'any-replica',
      faults: ['lag', 'crash'],
      defaults: { concurrency: 5, ops: 200, rate: 20, duration_ms: 20_000, op_timeout_ms: 5_000 },
      params: [],
      expectations: [
        { strategy: 'any-replica', nemesis: 'lag-replica', expected: 'invalid' },
        { strategy: 'primary-only', nemesis: 'lag-replica', expected: 'valid' },
        { strategy: 'read-your-writes', nemesis: 'lag-replica', expected: 'valid' },
        { strategy: 'monotonic-reads', nemesis: 'lag-replica', expected: 'valid' },
        { strategy: 'bounded-staleness', nemesis: 'lag-replica', expected: 'valid' },
        { strategy: 'any-replica', nemesis: 'crash-replica', expected: 'invalid' },
        { strategy: 'read-your-writes', nemesis: 'crash-replica', expected: 'valid' },
      ],
    };
  }

  async prepare(ctx: Omit<ExperimentRunContext, 'setup'>): Promise<Record<string, unknown>> {
    if (!(READ_STRATEGY_KEYS as readonly string[]).includes(ctx.strategy))
      throw new Error(`replication has no read strategy ${ctx.strategy}`);
    const state: RunState = {
      prefix: `x${ctx.id.replace(/-/g, '').slice(0, 12)}`,
      sessions: new Map(),
      lagged: new Map(),
      crashed: new Set(),
    };
    this.runs.set(ctx.id, state);
    const [current, delays] = await Promise.all([
      expectOk(admin(ctx, 'GET', 'client', `/admin/read-strategy`)),
      expectOk(admin(ctx, 'GET', 'primary', `/admin/replication-delays`)),
    ]);
    state.before = {
      strategy: String(current.body.strategy),
      settings: current.body.settings,
      delays: delays.body.by_replica,
    };
    const selected = await expectOk(admin(ctx, 'POST', 'client', `/admin/read-strategy`, { strategy: ctx.strategy }));
    const settings = selected.body.settings as Record<string, number>;
    return { prefix: state.prefix, ...settings, delays: delays.body.by_replica };
  }

  plan(rng: Rng, params: WorkloadParams): PlannedOp[] {
    const ops: PlannedOp[] = [];
    for (let i = 0; i < params.ops; i++) {
      const process = i % params.concurrency;
      const key = rng.pick(KEYS);
      if (rng.next() < 0.3)
        ops.push({ process, f: 'write', node: 'primary', value: { key, value: `p${process}-${i}` } });
      else ops.push({ process, f: 'read', node: 'client', value: { key } });
    }
    return ops;
  }

  async execute(op: PlannedOp, ctx: ExperimentRunContext): Promise<OpOutcome> {
    const state = this.state(ctx);
    const process = op.process;
    const session = state.sessions.get(process);
    if (op.f === 'write') {
      const { key, value } = op.value as { key: string; value: string };
      const res = await request(ctx, 'POST', 'client', `/writes`, {
        key: `${state.prefix}-${key}`,
        value,
        ...(session ? { session } : {}),
      });
      if (res.status !== 200) return outcomeOfError(res, op.value);
      if (typeof res.body.session === 'string') state.sessions.set(process, res.body.session);
      return { type: 'ok', node: 'primary', value: { key, value, version: res.body.version } };
    }
    if (op.f === 'read') {
      const { key } = op.value as { key: string };
      const query = new URLSearchParams({ key: `${state.prefix}-${key}`, ...(session ? { session } : {}) });
      const res = await request(ctx, 'GET', 'client', `/reads?${query.toString()}`);
      if (res.status !== 200) return outcomeOfError(res, op.value);
      if (typeof res.body.session === 'string') state.sessions.set(process, res.body.session);
      return {
        type: 'ok',
        node: String(res.body.served_by),
        value: {
          key,
          found: res.body.found === true,
          value: res.body.found === true ? res.body.value : null,
          version: res.body.version,
          served_by: res.body.served_by,
          waited_ms: res.body.waited_ms,
        },
      };
    }
    return { type: 'fail', error: `unknown op ${op.f}` };
  }

  async startFault(step: NemesisStep, ctx: ExperimentRunContext): Promise<void> {
    const state = this.state(ctx);
    const replica = replicaOf(step);
    if (step.fault === 'lag') {
      const delays = await expectOk(admin(ctx, 'GET', 'primary', `/admin/replication-delays`));
      if (!state.lagged.has(replica)) state.lagged.set(replica, Number(delays.body.by_replica?.[replica]));
      const delayMs = Number(step.params?.delay_ms ?? 3000);
      await expectOk(
        admin(ctx, 'POST', 'primary', `/admin/replication-delay`, { replica_url: replica, delay_ms: delayMs }),
      );
    } else if (step.fault === 'crash') {
      state.crashed.add(replica);
      await this.lifecycle.crash(LAB, replica, 'experiment', null);
    } else throw new Error(`replication has no fault ${step.fault}`);
  }

  async stopFault(step: NemesisStep, ctx: ExperimentRunContext): Promise<void> {
    const state = this.state(ctx);
    const replica = replicaOf(step);
    if (step.fault === 'lag') {
      const before = state.lagged.get(replica);
      if (before === undefined || !Number.isFinite(before)) return;
      await expectOk(
        admin(ctx, 'POST', 'primary', `/admin/replication-delay`, { replica_url: replica, delay_ms: before }),
      );
      state.lagged.delete(replica);
    } else if (step.fault === 'crash') {
      if (this.lifecycle.isDown(LAB, replica)) await this.lifecycle.restart(LAB, replica);
      state.crashed.delete(replica);
    }
  }

  check = (history: readonly HistoryOp[], context: CheckContext): Verdict => checkReplicationHistory(history, context);

  override async teardown(ctx: ExperimentRunContext): Promise<void> {
    const state = this.runs.get(ctx.id);
    this.runs.delete(ctx.id);
    if (!state?.before) return;
    for (const replica of REPLICA_NAMES)
      if (this.lifecycle.isDown(LAB, replica) && state.crashed.has(replica)) await this.lifecycle.restart(LAB, replica);
    await admin(ctx, 'POST', 'client', `/admin/read-strategy`, {
      strategy: state.before.strategy,
      ...state.before.settings,
    });
    await admin(ctx, 'POST', 'primary', `/admin/replication-delays`, { delays: state.before.delays });
  }

  private state(ctx: ExperimentRunContext): RunState {
    let state = this.runs.get(ctx.id);
    if (!state) {
      state = { prefix: String(ctx.setup.prefix), sessions: new Map(), lagged: new Map(), crashed: new Set() };
      this.runs.set(ctx.id, state);
    }
    return state;
  }
}

function replicaOf(step: NemesisStep): ReplicaName {
  const target = step.target ?? '';
  if (!isReplicaName(target))
    throw new Error(`${step.fault} needs a replica target (${REPLICA_NAMES.join(', ')}), not "${target}"`);
  return target;
}

export function expectedRunMs(params: WorkloadParams): number {
  const rate = Number(params.rate ?? 0);
  const byRate = rate > 0 ? (params.ops / rate) * 1000 : params.duration_ms;
  return Math.max(1000, Math.min(params.duration_ms, byRate));
}

async function expectOk(reply: Promise<Reply>): Promise<Reply> {
  const res = await reply;
  if (res.status !== 200)
    throw new Error(`replication answered ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
  return res;
}
