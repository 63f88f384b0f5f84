/**
 * The experiment contract: what the platform's experiment runner and each lab's experiment agree on.
 *
 * An experiment is a seeded workload run against a lab's real nodes under a fault schedule (the
 * nemesis). Every operation is recorded as it happens (invoke, then ok | fail | info), in PostgreSQL,
 * and a checker — a pure function over the history — judges it, naming the operations of every
 * anomaly (Jepsen's model: https://jepsen.io, Maelstrom's valid / invalid / unknown).
 *
 * The platform (`platform/experiments`) owns: the history model and its recording, the seeded PRNG,
 * the runner (processes, concurrency, rate, duration / op count), the nemesis scheduler, the API
 * (`/admin/experiments...`), exports (JSON lines, EDN), metrics and the CLI. It never imports a lab.
 *
 * A lab owns: its workload (which operations, planned from the PRNG), how each operation is executed
 * (over HTTP against its own node ports, as a user would), its faults as nemesis actions (through the
 * lab's own fault endpoints or services), and its checker. A lab registers one provider that extends
 * `LabExperiment` and carries `@LabExperimentProvider()`; the platform discovers it at boot, as it
 * discovers strategies.
 */
import { SetMetadata } from '@nestjs/common';

// ---------------------------------------------------------------------------------------------
// History
// ---------------------------------------------------------------------------------------------

/** invoke: the operation starts; ok: it took effect; fail: it certainly did not; info: unknown. */
export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

/** A logical client (0..concurrency-1), or the nemesis, whose ops are fault starts and ends. */
export type ProcessId = number | 'nemesis';

export interface HistoryOp {
  /** Position in the history, 0-based, dense; anomalies point at ops by this index. */
  index: number;
  type: OpType;
  process: ProcessId;
  /** The function, e.g. `book`, `read`, `transfer`, `add`, `send`; for the nemesis `start` / `stop`. */
  f: string;
  /**
   * JSON value. On invoke: the arguments. On completion: what was observed (a read's result, the
   * assigned id); an `info` or `fail` completion repeats the invoke's value when nothing was observed.
   * For the nemesis: `{ fault, target, params }`.
   */
  value: unknown;
  /** The node the operation went to (`booking`, `us-east`, `replica1`...), where it matters. */
  node?: string;
  /** Monotonic time in nanoseconds since the experiment started (process.hrtime.bigint based). */
  time: number;
  /** Why a fail / info happened (HTTP status and code, timeout, crash). */
  error?: string;
}

/** An anomaly the checker found: its class, an explanation in words, and the ops that make it. */
export interface Anomaly {
  /** e.g. `double-booking`, `negative-balance`, `total-not-conserved`, `lost-update (P4)`,
   *  `lost`, `duplicate`, `read-out-of-bounds`, `stale-read`, `ryw-violation`, `monotonic-violation`. */
  type: string;
  /** One or two sentences a learner can read: "seat A1 was confirmed to c3 (op 14) and to c7 (op 19)". */
  explanation: string;
  /** History indices (completion ops, and their invokes where useful) that constitute the anomaly. */
  ops: number[];
}

export type Validity = true | false | 'unknown';

export interface Verdict {
  valid: Validity;
  anomalies: Anomaly[];
  /** Counts and figures: ops by type, anomalies by type, lab-specific numbers (e.g. t-visibility). */
  stats: Record<string, unknown>;
}

/** The lab-specific facts a checker needs besides the history (initial state, the strategy's promise). */
export interface CheckContext {
  strategy: string;
  params: Record<string, unknown>;
  /** Whatever `prepare` returned: e.g. the initial balances, the event id, the seat list. */
  setup: Record<string, unknown>;
}

/** Checkers are pure: no I/O, deterministic, fast (target ≥ 250k ops/s on one core). */
export type Checker = (history: readonly HistoryOp[], context: CheckContext) => Verdict;

// ---------------------------------------------------------------------------------------------
// Workload and nemesis
// ---------------------------------------------------------------------------------------------

/** A planned operation; the same seed gives the same plan (who does what, in which order, with which values). */
export interface PlannedOp {
  process: number;
  f: string;
  value: unknown;
  node?: string;
}

/** One entry of a fault schedule. `at_ms` from the experiment start; the runner stops it after `duration_ms`. */
export interface NemesisStep {
  at_ms: number;
  fault: string;
  target?: string;
  params?: Record<string, unknown>;
  duration_ms: number;
}

/** Seeded PRNG handed to the lab (the platform's implementation, e.g. mulberry32 / xoshiro). */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] inclusive. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
}

export interface WorkloadParams {
  seed: number;
  /** Number of logical client processes. */
  concurrency: number;
  /** Total client operations to plan (the runner may stop early at `duration_ms`). */
  ops: number;
  duration_ms: number;
  /** Optional cap on client operations per second, over all processes (absent: as fast as they go). */
  rate?: number;
  /** Each client operation is given up (recorded `info`, `timeout`) after this long. */
  op_timeout_ms?: number;
  /** Lab-specific parameters (validated by the lab against `ParamSpec`s of its catalog). */
  [key: string]: unknown;
}

/** What executing one planned operation gave. Throwing is treated as `info` with the error message. */
export interface OpOutcome {
  type: Exclude<OpType, 'invoke'>;
  value?: unknown;
  node?: string;
  error?: string;
}

/** Handed to the lab while a run is going. */
export interface ExperimentRunContext {
  id: string;
  strategy: string;
  params: WorkloadParams;
  setup: Record<string, unknown>;
  /** Aborted when the run is cut short (timeout, shutdown); every lab call should honour it. */
  signal: AbortSignal;
  /** Base URL of a node's own port (`http://127.0.0.1:8000`), from the app's port plan. */
  nodeUrl(node: string): string;
  /** Headers to send on every call the lab makes for this run (carries `x-experiment-id`, trace). */
  headers(): Record<string, string>;
}

export interface ParamSpec {
  name: string;
  type: 'integer' | 'number' | 'string' | 'boolean';
  default: unknown;
  min?: number;
  max?: number;
  description: string;
}

export interface NemesisSpec {
  /** Name of a schedule users select (`none`, `pause-lock-holder`, `partition-flapping`...). */
  name: string;
  description: string;
  /** The schedule it expands to for given params (deterministic for a seed). */
  schedule(rng: Rng, params: WorkloadParams): NemesisStep[];
}

export interface ExperimentCatalogEntry {
  lab: string;
  description: string;
  workloads: Array<{ name: string; description: string }>;
  defaultWorkload: string;
  nemeses: NemesisSpec[];
  defaultNemesis: string;
  params: ParamSpec[];
  /** Strategy keys an experiment may select (absent: the strategies named in `expectations`). */
  strategies?: string[];
  /** The strategy used when a request names none (absent: the first of `strategies`). */
  defaultStrategy?: string;
  /** Fault names an explicit NemesisStep list may use (absent: any). */
  faults?: string[];
  /** Run defaults this lab prefers over the platform's (each still bounded by the platform). */
  defaults?: Partial<Pick<WorkloadParams, 'concurrency' | 'ops' | 'duration_ms' | 'rate' | 'op_timeout_ms'>>;
  /** Per strategy key: the verdict its default run (default workload, the given nemesis) is expected to get. */
  expectations: Array<{ strategy: string; nemesis: string; expected: 'valid' | 'invalid' }>;
}

/**
 * A lab's experiment. One provider per lab extends this and carries `@LabExperimentProvider()`.
 * Lifecycle of one run: validate params → prepare (fresh lab state, select strategy) → plan →
 * processes execute their planned ops (recorded invoke / completion) while the nemesis runs its
 * schedule (recorded start / stop) → nemesis stopped (every fault healed) → finalOps (e.g. final
 * reads, recorded like any op, process = 0..) → check → teardown (restore settings / strategy).
 */
export abstract class LabExperiment {
  abstract readonly lab: string;
  abstract catalog(): ExperimentCatalogEntry;
  /** Reset the lab's data for this run and select `strategy`; return what the checker needs. */
  abstract prepare(ctx: Omit<ExperimentRunContext, 'setup'>): Promise<Record<string, unknown>>;
  /** Deterministic for the seed: the planned ops, in the order each process issues them. */
  abstract plan(rng: Rng, params: WorkloadParams, workload: string): PlannedOp[];
  abstract execute(op: PlannedOp, ctx: ExperimentRunContext): Promise<OpOutcome>;
  /** Start and stop one fault of a schedule. `stop` must heal whatever `start` did, idempotently. */
  abstract startFault(step: NemesisStep, ctx: ExperimentRunContext): Promise<void>;
  abstract stopFault(step: NemesisStep, ctx: ExperimentRunContext): Promise<void>;
  /** Operations run after the nemesis healed and clients stopped (final reads); recorded too. */
  finalOps(_params: WorkloadParams): PlannedOp[] {
    return [];
  }
  abstract check: Checker;
  /** Restore the lab's settings (strategy, faults) to what they were before the run. */
  async teardown(_ctx: ExperimentRunContext): Promise<void> {}
}

export const LAB_EXPERIMENT = Symbol('LAB_EXPERIMENT');
/** Tags a lab's `LabExperiment` provider; the experiments registry finds it at boot. */
export const LabExperimentProvider = (): ClassDecorator => SetMetadata(LAB_EXPERIMENT, true);

// ---------------------------------------------------------------------------------------------
// API (served by platform/experiments; drawn by the console)
// ---------------------------------------------------------------------------------------------

export type ExperimentStatus = 'running' | 'valid' | 'invalid' | 'unknown' | 'aborted';

/**
 * GET /admin/experiments/:id — the experiment document.
 * POST /admin/experiments {lab, strategy?, workload?, nemesis? (name or NemesisStep[]), seed?,
 *   concurrency?, duration_ms?, ops?, ...lab params} → 202 {id}
 * GET /admin/experiments → {experiments: ExperimentDocument[] (recent first, without history)}
 * GET /admin/experiments/catalog → {labs: ExperimentCatalogEntry[] (nemesis schedules as names + descriptions)}
 * GET /admin/experiments/:id/history → JSON lines, one HistoryOp per line
 * GET /admin/experiments/:id/history.edn → Jepsen EDN, one op map per line
 * GET /admin/experiments/:id/events → Server-Sent Events: `op` (HistoryOp), `progress`, `done` (document)
 */
export interface ExperimentDocument {
  id: string;
  lab: string;
  strategy: string;
  workload: string;
  nemesis: string | NemesisStep[];
  schedule: NemesisStep[];
  seed: number;
  params: WorkloadParams;
  status: ExperimentStatus;
  /** 0..1, share of planned ops completed. */
  progress: number;
  created_at: string;
  finished_at: string | null;
  ops_recorded: number;
  verdict: Verdict | null;
  /** Why it ended `aborted` or `unknown` (shutdown, crash, a fault that could not be healed...). */
  reason?: string;
}
