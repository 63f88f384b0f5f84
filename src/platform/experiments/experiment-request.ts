import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { LabException } from '../http/lab-exception';
import {
  CreateExperimentRequestDto,
  NemesisStepListDto,
  PLATFORM_REQUEST_KEYS,
} from './api/dto/create-experiment.request.dto';
import type { ExperimentCatalogEntry, NemesisStep, ParamSpec, WorkloadParams } from './experiment.contract';
import { EXPERIMENT_DEFAULTS, EXPERIMENT_LIMITS as L } from './experiment-limits';
import { RNG_STREAM, SeededRng } from './rng';

export interface RunSpec {
  lab: string;
  strategy: string;
  workload: string;
  nemesis: string | NemesisStep[];
  schedule: NemesisStep[];
  params: WorkloadParams;
}

export interface FieldProblem {
  field: string;
  problems: string[];
  value?: unknown;
}

/** The strategies an experiment of this lab may select, its default first. */
export function strategiesOf(entry: ExperimentCatalogEntry): string[] {
  const listed = entry.strategies ?? [...new Set(entry.expectations.map((e) => e.strategy))];
  const first = entry.defaultStrategy ?? listed[0];
  return first ? [first, ...listed.filter((s) => s !== first)] : listed;
}

/**
 * Turns a raw POST body into a run: every field validated and bounded, unknown lab, strategy,
 * workload, nemesis, fault or parameter refused with a 400 naming it. Pure: the catalog comes in.
 */
export function resolveRequest(
  body: unknown,
  catalogOf: (lab: string) => ExperimentCatalogEntry | undefined,
  knownLabs: string[],
  randomSeed: () => number,
): RunSpec {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw invalid('EXPERIMENT.INVALID_REQUEST', 'The body must be a JSON object like {"lab": "booking"}');
  }
  const raw = body as Record<string, unknown>;
  const own: Record<string, unknown> = {};
  const labParams: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if ((PLATFORM_REQUEST_KEYS as readonly string[]).includes(key)) own[key] = value;
    else labParams[key] = value;
  }
  const dto = plainToInstance(CreateExperimentRequestDto, own);
  const problems = flatten(validateSync(dto, { forbidUnknownValues: false }));
  if (problems.length > 0) throw validationFailed(problems);

  const entry = catalogOf(dto.lab);
  if (!entry) {
    throw invalid('EXPERIMENT.UNKNOWN_LAB', `No experiment for lab "${dto.lab}" here`, {
      lab: dto.lab,
      known: knownLabs,
    });
  }
  const strategies = strategiesOf(entry);
  const strategy = dto.strategy ?? strategies[0];
  if (!strategies.includes(strategy)) {
    throw invalid('EXPERIMENT.UNKNOWN_STRATEGY', `Lab ${entry.lab} has no strategy "${strategy}" to experiment with`, {
      strategy,
      known: strategies,
    });
  }
  const workload = dto.workload ?? entry.defaultWorkload;
  if (!entry.workloads.some((w) => w.name === workload)) {
    throw invalid('EXPERIMENT.UNKNOWN_WORKLOAD', `Lab ${entry.lab} has no workload "${workload}"`, {
      workload,
      known: entry.workloads.map((w) => w.name),
    });
  }

  if (dto.params !== undefined) Object.assign(labParams, dto.params);
  const lab = validateLabParams(entry.params, labParams);
  const defaults = entry.defaults ?? {};
  const params: WorkloadParams = {
    ...lab,
    seed: dto.seed ?? randomSeed(),
    concurrency: dto.concurrency ?? defaults.concurrency ?? EXPERIMENT_DEFAULTS.concurrency,
    ops: dto.ops ?? defaults.ops ?? EXPERIMENT_DEFAULTS.ops,
    duration_ms: dto.duration_ms ?? defaults.duration_ms ?? EXPERIMENT_DEFAULTS.duration_ms,
    op_timeout_ms: dto.op_timeout_ms ?? defaults.op_timeout_ms ?? EXPERIMENT_DEFAULTS.op_timeout_ms,
  };
  const rate = dto.rate ?? defaults.rate;
  if (rate !== undefined) params.rate = rate;

  const nemesis = dto.nemesis ?? entry.defaultNemesis;
  let schedule: NemesisStep[];
  if (typeof nemesis === 'string') {
    const spec = entry.nemeses.find((n) => n.name === nemesis);
    if (!spec) {
      throw invalid('EXPERIMENT.UNKNOWN_NEMESIS', `Lab ${entry.lab} has no nemesis schedule "${nemesis}"`, {
        nemesis,
        known: entry.nemeses.map((n) => n.name),
      });
    }
    schedule = checkSchedule(spec.schedule(new SeededRng(params.seed, RNG_STREAM.nemesis), params), entry, 'schedule');
  } else if (Array.isArray(nemesis)) {
    schedule = checkSchedule(nemesis, entry, 'nemesis');
  } else {
    throw validationFailed([
      { field: 'nemesis', problems: ['nemesis must be a schedule name or a list of faults'], value: nemesis },
    ]);
  }
  return {
    lab: entry.lab,
    strategy,
    workload,
    nemesis: typeof nemesis === 'string' ? nemesis : schedule,
    schedule,
    params,
  };
}

function checkSchedule(steps: unknown, entry: ExperimentCatalogEntry, field: string): NemesisStep[] {
  const list = plainToInstance(NemesisStepListDto, { steps });
  const problems = flatten(
    validateSync(list, { forbidUnknownValues: false, whitelist: true, forbidNonWhitelisted: true }),
  ).map((p) => ({ ...p, field: p.field.replace(/^steps/, field) }));
  if (problems.length > 0) throw validationFailed(problems);
  const result = (steps as NemesisStep[]).map((s) => ({ ...s })).sort((a, b) => a.at_ms - b.at_ms);
  if (entry.faults) {
    const unknown = result.filter((s) => !entry.faults!.includes(s.fault)).map((s) => s.fault);
    if (unknown.length > 0) {
      throw invalid(
        'EXPERIMENT.UNKNOWN_FAULT',
        `Lab ${entry.lab} has no fault ${[...new Set(unknown)].map((f) => `"${f}"`).join(', ')}`,
        {
          faults: [...new Set(unknown)],
          known: entry.faults,
        },
      );
    }
  }
  return result;
}

function validateLabParams(specs: ParamSpec[], given: Record<string, unknown>): Record<string, unknown> {
  const problems: FieldProblem[] = [];
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(given)) {
    if (!specs.some((s) => s.name === key)) {
      problems.push({
        field: key,
        problems: [
          `${key} is neither an experiment field nor a parameter of this lab (${specs.map((s) => s.name).join(', ') || 'none'})`,
        ],
        value: given[key],
      });
    }
  }
  for (const spec of specs) {
    const value = given[spec.name] ?? spec.default;
    const wrong = (why: string) => problems.push({ field: spec.name, problems: [why], value });
    switch (spec.type) {
      case 'integer':
      case 'number':
        if (
          typeof value !== 'number' ||
          !Number.isFinite(value) ||
          (spec.type === 'integer' && !Number.isInteger(value))
        ) {
          wrong(`${spec.name} must be ${spec.type === 'integer' ? 'an integer' : 'a number'}`);
        } else if (spec.min !== undefined && value < spec.min) wrong(`${spec.name} must not be less than ${spec.min}`);
        else if (spec.max !== undefined && value > spec.max) wrong(`${spec.name} must not be greater than ${spec.max}`);
        break;
      case 'string':
        if (typeof value !== 'string' || value.length > 256)
          wrong(`${spec.name} must be a string of at most 256 characters`);
        break;
      case 'boolean':
        if (typeof value !== 'boolean') wrong(`${spec.name} must be a boolean`);
        break;
    }
    out[spec.name] = value;
  }
  if (problems.length > 0) throw validationFailed(problems);
  return out;
}

function flatten(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own: FieldProblem[] = error.constraints
      ? [{ field, problems: Object.values(error.constraints), value: error.value }]
      : [];
    return own.concat(flatten(error.children ?? [], field));
  });
}

function validationFailed(details: FieldProblem[]): LabException {
  const summary = details.map((d) => `${d.field}: ${d.problems.join(', ')}`).join('; ');
  return new LabException('REQUEST.VALIDATION_FAILED', `Invalid request: ${summary}`, 'invalid', details);
}

function invalid(code: string, message: string, details?: unknown): LabException {
  return new LabException(code, message, 'invalid', details);
}

export { L as EXPERIMENT_LIMITS };
