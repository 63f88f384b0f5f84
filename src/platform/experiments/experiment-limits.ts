/** Every knob of an experiment is bounded; these are the bounds and the platform's defaults. */
export const EXPERIMENT_LIMITS = {
  maxSeed: 4_294_967_295,
  maxConcurrency: 64,
  minDurationMs: 500,
  maxDurationMs: 120_000,
  maxOps: 20_000,
  maxRate: 10_000,
  minOpTimeoutMs: 50,
  maxOpTimeoutMs: 30_000,
  maxNemesisSteps: 256,
  maxFaultMs: 120_000,
  /** Experiments running at once in this process (one per lab at most). */
  maxRunning: 2,
  /** prepare, a fault's start or stop, and teardown each get this long. */
  stepTimeoutMs: 30_000,
  /** Past duration_ms, a run is cut (aborted) after this much more time. */
  graceMs: 30_000,
  /** A running experiment whose runner has not beaten for this long is an orphan (its process died). */
  orphanAfterMs: 3_000,
  heartbeatMs: 500,
  /** SSE clients per experiment. */
  maxListeners: 32,
  /** GET /admin/experiments?limit= */
  maxList: 200,
} as const;

export const EXPERIMENT_DEFAULTS = {
  concurrency: 5,
  ops: 200,
  duration_ms: 20_000,
  op_timeout_ms: 5_000,
} as const;
