import type { Counter } from 'prom-client';
import type { AppConfig } from '../config/app-config';
import { LabException } from '../http/lab-exception';
import {
  ExperimentCatalogEntry,
  ExperimentRunContext,
  HistoryOp,
  LabExperiment,
  NemesisStep,
  OpOutcome,
  PlannedOp,
  Rng,
  Verdict,
  WorkloadParams,
} from './experiment.contract';
import type { ExperimentRegistry } from './experiment-registry';
import { ExperimentRunnerService } from './experiment-runner.service';
import type { ExperimentRepository } from './persistence/experiment.repository';

/** A lab whose ops take `opMs` and whose faults are logged, so the runner's choreography can be checked. */
class FakeLab extends LabExperiment {
  readonly faults: string[] = [];
  readonly steps: string[] = [];
  constructor(
    readonly lab: string,
    private readonly opMs: number,
    private readonly schedule: NemesisStep[] = [],
  ) {
    super();
  }
  catalog(): ExperimentCatalogEntry {
    return {
      lab: this.lab,
      description: '',
      workloads: [{ name: 'w', description: '' }],
      defaultWorkload: 'w',
      nemeses: [
        { name: 'none', description: '', schedule: () => [] },
        { name: 'flap', description: '', schedule: () => this.schedule },
      ],
      defaultNemesis: 'none',
      params: [],
      expectations: [{ strategy: 's', nemesis: 'none', expected: 'valid' }],
    };
  }
  async prepare(): Promise<Record<string, unknown>> {
    this.steps.push('prepare');
    return { ready: true };
  }
  plan(rng: Rng, params: WorkloadParams): PlannedOp[] {
    return Array.from({ length: params.ops }, (_, i) => ({
      process: i % params.concurrency,
      f: 'add',
      value: rng.int(1, 9),
    }));
  }
  async execute(_op: PlannedOp, ctx: ExperimentRunContext): Promise<OpOutcome> {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, this.opMs);
      ctx.signal.addEventListener('abort', () => (clearTimeout(timer), reject(new Error('aborted'))), { once: true });
    });
    return { type: 'ok' };
  }
  async startFault(step: NemesisStep): Promise<void> {
    this.faults.push(`start ${step.fault}`);
  }
  async stopFault(step: NemesisStep): Promise<void> {
    this.faults.push(`stop ${step.fault}`);
  }
  override finalOps(): PlannedOp[] {
    return [{ process: 0, f: 'read', value: null }];
  }
  check = (history: readonly HistoryOp[]): Verdict => ({ valid: true, anomalies: [], stats: { ops: history.length } });
  override async teardown(): Promise<void> {
    this.steps.push('teardown');
  }
}

class MemoryRepository {
  readonly finished = new Map<string, { status: string; verdict: Verdict | null; reason?: string }>();
  readonly ops: HistoryOp[] = [];
  async insert(): Promise<void> {}
  async saveSetup(): Promise<void> {}
  async saveProgress(): Promise<void> {}
  async appendOps(_id: string, ops: readonly HistoryOp[]): Promise<void> {
    this.ops.push(...ops);
  }
  async finish(id: string, status: string, fields: { verdict: Verdict | null; reason?: string }): Promise<void> {
    this.finished.set(id, { status, verdict: fields.verdict, reason: fields.reason });
  }
  async find(): Promise<undefined> {
    return undefined;
  }
  async abortOrphans(): Promise<string[]> {
    return [];
  }
  async prune(): Promise<void> {}
}

const counter = () => ({ inc: jest.fn() }) as unknown as Counter<string>;

function runnerWith(labs: FakeLab[]) {
  const registry = {
    get: (lab: string) => labs.find((l) => l.lab === lab),
    labs: () => labs.map((l) => l.lab),
  } as unknown as ExperimentRegistry;
  const repository = new MemoryRepository();
  const config = { env: {}, nodeUrl: () => 'http://127.0.0.1:1' } as unknown as AppConfig;
  const runner = new ExperimentRunnerService(
    registry,
    repository as unknown as ExperimentRepository,
    config,
    counter(),
    counter(),
  );
  return { runner, repository };
}

const statusOf = (err: unknown) => (err as LabException).status;

describe('ExperimentRunnerService', () => {
  it('runs the plan, the final ops and the checker, and tears down', async () => {
    const lab = new FakeLab('a', 1);
    const { runner, repository } = runnerWith([lab]);
    const { id } = await runner.start({ lab: 'a', ops: 20, concurrency: 4, seed: 1 });
    await runner.settled(id);
    expect(repository.finished.get(id)).toMatchObject({ status: 'valid' });
    const invokes = repository.ops.filter((op) => op.type === 'invoke');
    expect(invokes).toHaveLength(21); // 20 planned + the final read
    expect(invokes[invokes.length - 1].f).toBe('read');
    expect(repository.ops.map((op) => op.index)).toEqual(repository.ops.map((_, i) => i));
    expect(lab.steps).toEqual(['prepare', 'teardown']);
  });

  it('allows one run per lab (409) and a small number at once (429)', async () => {
    const labs = [new FakeLab('a', 50), new FakeLab('b', 50), new FakeLab('c', 50)];
    const { runner, repository } = runnerWith(labs);
    const a = await runner.start({ lab: 'a', ops: 2000, duration_ms: 60000 });
    await expect(runner.start({ lab: 'a' })).rejects.toMatchObject({ code: 'EXPERIMENT.LAB_BUSY' });
    await runner.start({ lab: 'b', ops: 2000, duration_ms: 60000 });
    const third = await runner.start({ lab: 'c' }).catch((err: unknown) => err);
    expect(third).toMatchObject({ code: 'EXPERIMENT.TOO_MANY_RUNNING' });
    expect(statusOf(third)).toBe(429);
    await runner.beforeApplicationShutdown();
    expect(repository.finished.get(a.id)).toMatchObject({
      status: 'aborted',
      verdict: null,
      reason: 'the app is shutting down',
    });
    await expect(runner.start({ lab: 'c' })).rejects.toMatchObject({ code: 'EXPERIMENT.SHUTTING_DOWN' });
  });

  it('records every fault start and stop as nemesis ops and heals a fault still on when the run is cut', async () => {
    const lab = new FakeLab('a', 5, [
      { at_ms: 0, fault: 'short', duration_ms: 20 },
      { at_ms: 10, fault: 'long', duration_ms: 60_000 },
    ]);
    const { runner, repository } = runnerWith([lab]);
    const { id } = await runner.start({ lab: 'a', nemesis: 'flap', ops: 2000, duration_ms: 60000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await runner.beforeApplicationShutdown();
    expect(lab.faults).toEqual(['start short', 'start long', 'stop short', 'stop long']);
    const nemesis = repository.ops
      .filter((op) => op.process === 'nemesis')
      .map((op) => `${op.f}:${op.type}:${(op.value as { fault: string }).fault}`);
    expect(nemesis).toEqual([
      'start:invoke:short',
      'start:ok:short',
      'start:invoke:long',
      'start:ok:long',
      'stop:invoke:short',
      'stop:ok:short',
      'stop:invoke:long',
      'stop:ok:long',
    ]);
    expect(repository.finished.get(id)?.status).toBe('aborted');
    expect(lab.steps).toEqual(['prepare', 'teardown']);
  });

  it('records an op that outlives op_timeout_ms as info, and the run goes on', async () => {
    const lab = new FakeLab('a', 400);
    const { runner, repository } = runnerWith([lab]);
    const { id } = await runner.start({ lab: 'a', ops: 2, concurrency: 1, op_timeout_ms: 50 });
    await runner.settled(id);
    const completions = repository.ops.filter((op) => op.type !== 'invoke');
    expect(completions.map((op) => [op.type, op.error])).toEqual([
      ['info', 'timeout after 50 ms'],
      ['info', 'timeout after 50 ms'],
      ['info', 'timeout after 50 ms'],
    ]);
    expect(repository.finished.get(id)?.status).toBe('valid');
  });
});
