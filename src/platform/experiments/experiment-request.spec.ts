import { LabException } from '../http/lab-exception';
import type { ExperimentCatalogEntry } from './experiment.contract';
import { resolveRequest } from './experiment-request';

const entry: ExperimentCatalogEntry = {
  lab: 'demo',
  description: 'demo',
  workloads: [{ name: 'w', description: '' }],
  defaultWorkload: 'w',
  nemeses: [
    { name: 'none', description: '', schedule: () => [] },
    { name: 'flap', description: '', schedule: (rng) => [{ at_ms: rng.int(0, 100), fault: 'cut', duration_ms: 50 }] },
  ],
  defaultNemesis: 'none',
  params: [{ name: 'hot', type: 'integer', default: 3, min: 1, max: 10, description: '' }],
  faults: ['cut'],
  defaults: { concurrency: 4 },
  expectations: [
    { strategy: 'unsafe', nemesis: 'none', expected: 'invalid' },
    { strategy: 'safe', nemesis: 'none', expected: 'valid' },
  ],
};
const resolve = (body: unknown) =>
  resolveRequest(
    body,
    (lab) => (lab === 'demo' ? entry : undefined),
    ['demo'],
    () => 5,
  );
const codeOf = (body: unknown) => {
  try {
    resolve(body);
  } catch (err) {
    return {
      code: (err as LabException).code,
      status: (err as LabException).status,
      details: (err as LabException).details,
    };
  }
  return undefined;
};

describe('resolveRequest', () => {
  it('fills defaults: first strategy, default workload and nemesis, lab and platform defaults', () => {
    const spec = resolve({ lab: 'demo' });
    expect(spec).toMatchObject({ lab: 'demo', strategy: 'unsafe', workload: 'w', nemesis: 'none', schedule: [] });
    expect(spec.params).toMatchObject({
      seed: 5,
      concurrency: 4,
      ops: 200,
      duration_ms: 20000,
      op_timeout_ms: 5000,
      hot: 3,
    });
  });

  it('takes lab parameters at the top level or under params', () => {
    expect(resolve({ lab: 'demo', hot: 7 }).params.hot).toBe(7);
    expect(resolve({ lab: 'demo', params: { hot: 8 } }).params.hot).toBe(8);
  });

  it('expands a named schedule from the seed, the same for the same seed', () => {
    const a = resolve({ lab: 'demo', nemesis: 'flap', seed: 11 }).schedule;
    expect(a).toEqual(resolve({ lab: 'demo', nemesis: 'flap', seed: 11 }).schedule);
    expect(a).toHaveLength(1);
  });

  it('accepts an explicit schedule, sorted by at_ms', () => {
    const spec = resolve({
      lab: 'demo',
      nemesis: [
        { at_ms: 50, fault: 'cut', duration_ms: 5 },
        { at_ms: 10, fault: 'cut', duration_ms: 5 },
      ],
    });
    expect(spec.schedule.map((s) => s.at_ms)).toEqual([10, 50]);
  });

  it.each([
    [[], 'EXPERIMENT.INVALID_REQUEST'],
    [{ lab: 'nope' }, 'EXPERIMENT.UNKNOWN_LAB'],
    [{ lab: 'demo', strategy: 'magic' }, 'EXPERIMENT.UNKNOWN_STRATEGY'],
    [{ lab: 'demo', workload: 'x' }, 'EXPERIMENT.UNKNOWN_WORKLOAD'],
    [{ lab: 'demo', nemesis: 'x' }, 'EXPERIMENT.UNKNOWN_NEMESIS'],
    [{ lab: 'demo', nemesis: [{ at_ms: 0, fault: 'zap', duration_ms: 5 }] }, 'EXPERIMENT.UNKNOWN_FAULT'],
    [{ lab: 'demo', nemesis: [{ at_ms: -1, fault: 'cut', duration_ms: 5 }] }, 'REQUEST.VALIDATION_FAILED'],
    [{ lab: 'demo', nemesis: [{ at_ms: 0, fault: 'cut', duration_ms: 5, extra: 1 }] }, 'REQUEST.VALIDATION_FAILED'],
    [{ lab: 'demo', nemesis: 5 }, 'REQUEST.VALIDATION_FAILED'],
    [{ lab: 'demo', concurrency: 0 }, 'REQUEST.VALIDATION_FAILED'],
    [{ lab: 'demo', ops: 10 ** 9 }, 'REQUEST.VALIDATION_FAILED'],
    [{ lab: 'demo', seed: '5' }, 'REQUEST.VALIDATION_FAILED'],
    [{ lab: 'demo', hot: 11 }, 'REQUEST.VALIDATION_FAILED'],
    [{ lab: 'demo', hot: 1.5 }, 'REQUEST.VALIDATION_FAILED'],
    [{ lab: 'demo', colour: 'red' }, 'REQUEST.VALIDATION_FAILED'],
  ])('refuses %j with %s (400)', (body, code) => {
    expect(codeOf(body)).toMatchObject({ code, status: 400 });
  });

  it('names every bad field at once', () => {
    const problem = codeOf({ lab: 'demo', concurrency: 0, ops: -1 });
    expect((problem?.details as Array<{ field: string }>).map((d) => d.field).sort()).toEqual(['concurrency', 'ops']);
  });
});
