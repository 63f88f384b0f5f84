import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { randomUUID } from 'node:crypto';
import { Counter } from 'prom-client';
import { AppConfig } from '../config/app-config';
import { isLabName } from '../config/lab-plan';
import { LabException } from '../http/lab-exception';
import { traceHeaders, withSpan } from '../observability/tracing';
import type {
  ExperimentDocument,
  ExperimentRunContext,
  HistoryOp,
  LabExperiment,
  NemesisStep,
  OpOutcome,
  PlannedOp,
  Verdict,
} from './experiment.contract';
import { EXPERIMENT_LIMITS as L } from './experiment-limits';
import { ExperimentRegistry } from './experiment-registry';
import { resolveRequest, RunSpec } from './experiment-request';
import { EXPERIMENT_OPS_TOTAL, EXPERIMENTS_TOTAL } from './experiments.metrics';
import { HistoryRecorder } from './history-recorder';
import { ExperimentRepository } from './persistence/experiment.repository';
import { RNG_STREAM, SeededRng } from './rng';

export type LiveEvent =
  | { type: 'op'; data: HistoryOp }
  | { type: 'progress'; data: { progress: number; ops_recorded: number; status: string } }
  | { type: 'done'; data: ExperimentDocument };

/** One experiment in flight in this process. */
class RunningExperiment {
  readonly abort = new AbortController();
  completedOps = 0;
  abortReason: string | undefined;
  readonly listeners = new Set<(event: LiveEvent) => void>();
  finished: Promise<void> = Promise.resolve();

  constructor(
    readonly id: string,
    readonly spec: RunSpec,
    readonly lab: LabExperiment,
    readonly planned: PlannedOp[],
    readonly recorder: HistoryRecorder,
    readonly createdAt: Date,
  ) {}

  get progress(): number {
    return this.planned.length === 0 ? 1 : Math.min(1, this.completedOps / this.planned.length);
  }

  emit(event: LiveEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  cut(reason: string): void {
    if (this.abort.signal.aborted) return;
    this.abortReason = reason;
    this.abort.abort(new Error(reason));
  }
}

class StepTimeout extends Error {}

/**
 * Runs experiments: plans from the seed, records every op as it happens, drives the nemesis
 * schedule through the lab's faults, heals them all whatever happens, then judges the history.
 */
@Injectable()
export class ExperimentRunnerService implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger('Experiments');
  private readonly running = new Map<string, RunningExperiment>();
  private readonly owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private sweeper: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    private readonly registry: ExperimentRegistry,
    private readonly repository: ExperimentRepository,
    private readonly config: AppConfig,
    @InjectMetric(EXPERIMENTS_TOTAL) private readonly experiments: Counter<string>,
    @InjectMetric(EXPERIMENT_OPS_TOTAL) private readonly opsCounter: Counter<string>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.sweepOrphans();
    this.sweeper = setInterval(() => void this.sweepOrphans(), L.orphanAfterMs);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }

  /** Shutdown cuts every run short: clients stop, faults are healed, the lab restored, the run `aborted`. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.sweeper) clearInterval(this.sweeper);
    const runs = [...this.running.values()];
    for (const run of runs) run.cut('the app is shutting down');
    await Promise.race([
      Promise.allSettled(runs.map((r) => r.finished)),
      new Promise((resolve) => setTimeout(resolve, L.stepTimeoutMs).unref()),
    ]);
  }

  /** Validates, plans and records the new experiment, then runs it in the background. */
  async start(body: unknown): Promise<{ id: string }> {
    if (this.stopping) throw new LabException('EXPERIMENT.SHUTTING_DOWN', 'The app is shutting down', 'unavailable');
    const spec = resolveRequest(
      body,
      (lab) => this.registry.get(lab)?.catalog(),
      this.registry.labs(),
      () => Math.floor(Math.random() * L.maxSeed),
    );
    const busy = [...this.running.values()].find((r) => r.spec.lab === spec.lab);
    if (busy) {
      throw new LabException(
        'EXPERIMENT.LAB_BUSY',
        `An experiment on ${spec.lab} is already running (${busy.id})`,
        'conflict',
        {
          running: busy.id,
        },
      );
    }
    if (this.running.size >= L.maxRunning) {
      throw new LabException(
        'EXPERIMENT.TOO_MANY_RUNNING',
        `${this.running.size} experiments are running; at most ${L.maxRunning} run at once`,
        'too_many',
        { running: [...this.running.keys()] },
      );
    }
    const lab = this.registry.get(spec.lab)!;
    const planned = this.plan(lab, spec);
    const id = randomUUID();
    const recorder = new HistoryRecorder(id, this.repository, (err) => run.cut(err.message));
    const run = new RunningExperiment(id, spec, lab, planned, recorder, new Date());
    this.running.set(id, run);
    try {
      await this.repository.insert(
        {
          id,
          lab: spec.lab,
          strategy: spec.strategy,
          workload: spec.workload,
          nemesis: spec.nemesis,
          schedule: spec.schedule,
          seed: spec.params.seed,
          params: spec.params,
          plannedOps: planned.length,
        },
        this.owner,
      );
    } catch (err) {
      this.running.delete(id);
      throw new LabException(
        'EXPERIMENT.STORE_UNAVAILABLE',
        `Could not record the experiment: ${(err as Error).message}`,
        'unavailable',
      );
    }
    recorder.subscribe((op) => {
      this.opsCounter.inc({ lab: spec.lab, type: op.type });
      run.emit({ type: 'op', data: op });
    });
    run.finished = this.execute(run).finally(() => this.running.delete(id));
    return { id };
  }

  /** The planned client ops, deterministic for the seed (exposed for tests and the catalog). */
  plan(lab: LabExperiment, spec: RunSpec): PlannedOp[] {
    const planned = lab.plan(new SeededRng(spec.params.seed, RNG_STREAM.workload), spec.params, spec.workload);
    const bad = planned.find(
      (op) => !Number.isInteger(op.process) || op.process < 0 || op.process >= spec.params.concurrency,
    );
    if (bad) {
      throw new LabException(
        'EXPERIMENT.BAD_PLAN',
        `${spec.lab} planned an op for process ${String(bad.process)}, outside 0..${spec.params.concurrency - 1}`,
        'precondition',
      );
    }
    return planned.slice(0, spec.params.ops);
  }

  /** The document of a run in flight, or undefined. */
  live(id: string): ExperimentDocument | undefined {
    const run = this.running.get(id);
    return run ? this.document(run) : undefined;
  }

  liveHistory(id: string): HistoryOp[] | undefined {
    return this.running.get(id)?.recorder.ops;
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  /** Throws when a run in flight already has as many followers as allowed. */
  assertCanListen(id: string): void {
    const run = this.running.get(id);
    if (run && run.listeners.size >= L.maxListeners) {
      throw new LabException(
        'EXPERIMENT.TOO_MANY_LISTENERS',
        `At most ${L.maxListeners} clients may follow one experiment`,
        'too_many',
      );
    }
  }

  /** Subscribes to a run in flight: the ops so far are replayed first, in the same tick, so none is missed. */
  listen(id: string, listener: (event: LiveEvent) => void): (() => void) | undefined {
    const run = this.running.get(id);
    if (!run) return undefined;
    this.assertCanListen(id);
    for (const op of run.recorder.ops) listener({ type: 'op', data: op });
    run.listeners.add(listener);
    return () => run.listeners.delete(listener);
  }

  /** Waits for a run in flight to finish (tests, the CLI's in-process use). */
  async settled(id: string): Promise<void> {
    await this.running.get(id)?.finished;
  }

  private document(run: RunningExperiment): ExperimentDocument {
    return {
      id: run.id,
      lab: run.spec.lab,
      strategy: run.spec.strategy,
      workload: run.spec.workload,
      nemesis: run.spec.nemesis,
      schedule: run.spec.schedule,
      seed: run.spec.params.seed,
      params: run.spec.params,
      status: 'running',
      progress: run.progress,
      created_at: run.createdAt.toISOString(),
      finished_at: null,
      ops_recorded: run.recorder.ops.length,
      verdict: null,
    };
  }

  private async execute(run: RunningExperiment): Promise<void> {
    const { spec, lab, recorder } = run;
    const started = Date.now();
    const heartbeat = setInterval(() => {
      void this.repository.saveProgress(run.id, run.progress, recorder.ops.length).catch(() => undefined);
      run.emit({
        type: 'progress',
        data: { progress: run.progress, ops_recorded: recorder.ops.length, status: 'running' },
      });
      if (Date.now() - started > spec.params.duration_ms + L.graceMs)
        run.cut(`the run overran duration_ms + ${L.graceMs} ms`);
    }, L.heartbeatMs);
    const base = {
      id: run.id,
      strategy: spec.strategy,
      params: spec.params,
      signal: run.abort.signal,
      nodeUrl: (node: string) => this.nodeUrl(spec.lab, node),
      headers: () => ({
        ...traceHeaders(),
        'x-experiment-id': run.id,
        // Labs may drive their own admin and fault endpoints; with ADMIN_TOKEN set those need it.
        ...(this.config.env.ADMIN_TOKEN ? { 'x-admin-token': this.config.env.ADMIN_TOKEN } : {}),
      }),
    };
    let ctx: ExperimentRunContext = { ...base, setup: {} };
    let prepared = false;
    let status: Exclude<ExperimentDocument['status'], 'running'> = 'aborted';
    let verdict: Verdict | null = null;
    let reason: string | undefined;
    const nemesis = new NemesisScheduler(
      run,
      () => ctx,
      (step, ctxNow, which) => this.fault(run, step, ctxNow, which),
    );
    try {
      const setup = await this.step(() => lab.prepare(base), 'prepare', run.abort.signal);
      prepared = true;
      ctx = { ...base, setup };
      await this.repository.saveSetup(run.id, setup);
      nemesis.begin();
      await Promise.all(this.byProcess(run.planned, spec.params.concurrency).map((ops) => this.client(run, ctx, ops)));
      await nemesis.end();
      if (!run.abort.signal.aborted) {
        for (const op of lab.finalOps(spec.params)) {
          if (run.abort.signal.aborted) break;
          await this.invoke(run, ctx, op, false);
        }
      }
      await recorder.drain();
      if (run.abort.signal.aborted) {
        reason = run.abortReason;
      } else {
        verdict = this.judge(run, setup);
        status = verdict.valid === true ? 'valid' : verdict.valid === false ? 'invalid' : 'unknown';
      }
    } catch (err) {
      // The run never completed (prepare failed, a step hung, the run was cut): nothing to judge.
      reason = run.abortReason ?? (err as Error).message;
      status = 'aborted';
      if (!run.abort.signal.aborted)
        this.logger.warn(`experiment ${run.id} (${spec.lab}) failed: ${(err as Error).message}`);
    } finally {
      clearInterval(heartbeat);
      await nemesis.end().catch((err: Error) => {
        status = status === 'valid' ? 'unknown' : status;
        reason = `a fault could not be healed: ${err.message}`;
      });
      if (prepared) {
        await this.step(() => lab.teardown(ctx), 'teardown').catch((err: Error) =>
          this.logger.warn(`experiment ${run.id}: teardown failed: ${err.message}`),
        );
      }
    }
    await recorder.drain().catch((err: Error) => {
      status = 'aborted';
      reason = err.message;
    });
    await this.repository
      .finish(run.id, status, { progress: run.progress, opsRecorded: recorder.ops.length, verdict, reason })
      .catch((err: Error) => this.logger.error(`experiment ${run.id}: could not store its end: ${err.message}`));
    this.experiments.inc({ lab: spec.lab, strategy: spec.strategy, outcome: status });
    const done = (await this.repository.find(run.id).catch(() => undefined)) ?? {
      ...this.document(run),
      status,
      verdict,
      finished_at: new Date().toISOString(),
      ...(reason ? { reason } : {}),
    };
    run.emit({ type: 'done', data: done });
    void this.repository.prune().catch(() => undefined);
  }

  private judge(run: RunningExperiment, setup: Record<string, unknown>): Verdict {
    try {
      return run.lab.check(run.recorder.ops, { strategy: run.spec.strategy, params: run.spec.params, setup });
    } catch (err) {
      return { valid: 'unknown', anomalies: [], stats: { checker_error: (err as Error).message } };
    }
  }

  private byProcess(planned: PlannedOp[], concurrency: number): PlannedOp[][] {
    const lanes: PlannedOp[][] = Array.from({ length: concurrency }, () => []);
    for (const op of planned) lanes[op.process].push(op);
    return lanes;
  }

  /** One logical client: its planned ops one after another, spaced by the rate, until the deadline. */
  private async client(run: RunningExperiment, ctx: ExperimentRunContext, ops: PlannedOp[]): Promise<void> {
    const { params } = run.spec;
    const spacingMs = params.rate ? (1000 * params.concurrency) / params.rate : 0;
    const deadline = Date.now() + params.duration_ms;
    const begin = Date.now();
    for (let k = 0; k < ops.length; k++) {
      if (run.abort.signal.aborted || Date.now() >= deadline) return;
      const due = begin + k * spacingMs;
      if (due > Date.now()) await sleep(due - Date.now(), run.abort.signal);
      if (run.abort.signal.aborted || Date.now() >= deadline) return;
      await this.invoke(run, ctx, ops[k], true);
    }
  }

  /** invoke → execute (inside a span carrying experiment.id, with a timeout) → ok | fail | info. */
  private async invoke(
    run: RunningExperiment,
    ctx: ExperimentRunContext,
    op: PlannedOp,
    counts: boolean,
  ): Promise<void> {
    const { recorder, spec } = run;
    recorder.record({
      type: 'invoke',
      process: op.process,
      f: op.f,
      value: op.value,
      ...(op.node ? { node: op.node } : {}),
    });
    const timeoutMs = spec.params.op_timeout_ms ?? 5000;
    const signal = AbortSignal.any([run.abort.signal, AbortSignal.timeout(timeoutMs)]);
    const outcome = await withSpan(
      `experiment ${spec.lab} ${op.f}`,
      { 'experiment.id': run.id, 'experiment.lab': spec.lab, 'experiment.f': op.f, 'experiment.process': op.process },
      async (span) => {
        let result: OpOutcome;
        try {
          result = await raceSignal(run.lab.execute(op, { ...ctx, signal }), signal, timeoutMs);
        } catch (err) {
          result = { type: 'info', error: describe(err, signal, run.abort.signal, timeoutMs) };
        }
        span.setAttribute('experiment.outcome', result.type);
        return result;
      },
    );
    recorder.record({
      type: outcome.type,
      process: op.process,
      f: op.f,
      value: outcome.value !== undefined ? outcome.value : op.value,
      ...((outcome.node ?? op.node) ? { node: outcome.node ?? op.node } : {}),
      ...(outcome.error ? { error: outcome.error } : {}),
    });
    if (counts) run.completedOps++;
  }

  /** A nemesis op: invoke, the lab's start/stop, then ok (or info when it failed: its effect is unknown). */
  private async fault(
    run: RunningExperiment,
    step: NemesisStep,
    ctx: ExperimentRunContext,
    which: 'start' | 'stop',
  ): Promise<void> {
    const value = {
      fault: step.fault,
      ...(step.target ? { target: step.target } : {}),
      ...(step.params ? { params: step.params } : {}),
    };
    run.recorder.record({ type: 'invoke', process: 'nemesis', f: which, value });
    try {
      await withSpan(
        `experiment ${run.spec.lab} nemesis ${which}`,
        { 'experiment.id': run.id, 'experiment.fault': step.fault },
        () =>
          this.step(
            () => (which === 'start' ? run.lab.startFault(step, ctx) : run.lab.stopFault(step, ctx)),
            `${which} ${step.fault}`,
          ),
      );
      run.recorder.record({ type: 'ok', process: 'nemesis', f: which, value });
    } catch (err) {
      run.recorder.record({ type: 'info', process: 'nemesis', f: which, value, error: (err as Error).message });
      throw err;
    }
  }

  private async step<T>(work: () => Promise<T>, what: string, signal?: AbortSignal): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StepTimeout(`${what} took longer than ${L.stepTimeoutMs} ms`)),
        L.stepTimeoutMs,
      );
    });
    const aborted = signal
      ? new Promise<never>((_, reject) =>
          signal.addEventListener('abort', () => reject(new StepTimeout(`${what} cut short`)), { once: true }),
        )
      : undefined;
    try {
      return await Promise.race([work(), timeout, ...(aborted ? [aborted] : [])]);
    } finally {
      clearTimeout(timer);
    }
  }

  private nodeUrl(lab: string, node: string): string {
    if (!isLabName(lab)) throw new Error(`unknown lab ${lab}`);
    return this.config.nodeUrl(lab, node);
  }

  private async sweepOrphans(): Promise<void> {
    try {
      const aborted = await this.repository.abortOrphans(
        this.owner,
        L.orphanAfterMs,
        'its runner stopped (the app was killed or crashed) before the run finished',
      );
      for (const id of aborted)
        this.logger.warn(`experiment ${id} was left running by a process that died: now aborted`);
    } catch {
      // PostgreSQL unreachable right now; the next sweep tries again.
    }
  }
}

/** Starts and stops the schedule's faults on time; `end` heals whatever is still on, exactly once per fault. */
class NemesisScheduler {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly active = new Map<NemesisStep, Promise<void>>();
  private readonly pending = new Set<Promise<void>>();
  private ended = false;

  constructor(
    private readonly run: RunningExperiment,
    private readonly ctx: () => ExperimentRunContext,
    private readonly fault: (step: NemesisStep, ctx: ExperimentRunContext, which: 'start' | 'stop') => Promise<void>,
  ) {}

  begin(): void {
    for (const step of this.run.spec.schedule) {
      this.timers.push(
        setTimeout(() => {
          if (this.ended || this.run.abort.signal.aborted) return;
          const started = this.track(this.fault(step, this.ctx(), 'start'));
          this.active.set(step, started);
          this.timers.push(setTimeout(() => void this.stop(step), step.duration_ms));
        }, step.at_ms),
      );
    }
  }

  /** Stops scheduling and heals every fault that was started and not stopped yet. */
  async end(): Promise<void> {
    this.ended = true;
    for (const timer of this.timers) clearTimeout(timer);
    await Promise.allSettled([...this.pending]);
    const errors: Error[] = [];
    for (const step of [...this.active.keys()]) await this.stop(step).catch((err: Error) => errors.push(err));
    if (errors.length > 0) throw errors[0];
  }

  private async stop(step: NemesisStep): Promise<void> {
    const started = this.active.get(step);
    if (!started) return;
    this.active.delete(step);
    // A start that failed may still have half-happened: stop is idempotent, so it is always sent.
    await started.catch(() => undefined);
    await this.track(this.fault(step, this.ctx(), 'stop'));
  }

  private track(work: Promise<void>): Promise<void> {
    const tracked = work.finally(() => this.pending.delete(tracked));
    tracked.catch(() => undefined);
    this.pending.add(tracked);
    return tracked;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The lab's promise, or a rejection once the op's signal fires (a lab that ignores it cannot hold the client). */
function raceSignal<T>(work: Promise<T>, signal: AbortSignal, timeoutMs: number): Promise<T> {
  if (signal.aborted)
    return Promise.reject(
      new Error(signal.reason instanceof Error ? signal.reason.message : `timeout after ${timeoutMs} ms`),
    );
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

function describe(err: unknown, signal: AbortSignal, runSignal: AbortSignal, timeoutMs: number): string {
  if (runSignal.aborted)
    return `aborted: ${runSignal.reason instanceof Error ? runSignal.reason.message : 'run cut short'}`;
  if (signal.aborted) return `timeout after ${timeoutMs} ms`;
  return err instanceof Error ? err.message : String(err);
}
