import type { HistoryOp, OpType, ProcessId } from './experiment.contract';

export interface OpSink {
  appendOps(experimentId: string, ops: readonly HistoryOp[]): Promise<void>;
}

export interface RecordInput {
  type: OpType;
  process: ProcessId;
  f: string;
  value: unknown;
  node?: string;
  error?: string;
}

/** Largest batch one INSERT carries; a burst beyond it leaves in several statements. */
const MAX_BATCH = 2000;
const RETRIES = 3;
/** How long the first op of a batch waits for company before the INSERT leaves. */
const LINGER_MS = 5;

/**
 * One experiment's history: ops get their dense index and monotonic time here, are kept in memory
 * (for the checker and live listeners) and written to PostgreSQL by group commit — at most one
 * INSERT in flight; whatever arrives meanwhile leaves in the next one (the first op of a batch
 * lingers 5 ms for company). An op is durable a few ms after it happened, and a busy run costs
 * one statement per round trip, not per op.
 */
export class HistoryRecorder {
  readonly ops: HistoryOp[] = [];
  private readonly started = process.hrtime.bigint();
  private pending: HistoryOp[] = [];
  private flushing: Promise<void> | undefined;
  private failure: Error | undefined;
  private readonly listeners = new Set<(op: HistoryOp) => void>();

  constructor(
    readonly experimentId: string,
    private readonly sink: OpSink | undefined,
    private readonly onFailure: (err: Error) => void = () => undefined,
  ) {}

  /** Nanoseconds since the experiment started. */
  now(): number {
    return Number(process.hrtime.bigint() - this.started);
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  record(input: RecordInput): HistoryOp {
    const op: HistoryOp = {
      index: this.ops.length,
      type: input.type,
      process: input.process,
      f: input.f,
      value: input.value,
      time: this.now(),
    };
    if (input.node !== undefined) op.node = input.node;
    if (input.error !== undefined) op.error = input.error;
    this.ops.push(op);
    if (this.sink) {
      this.pending.push(op);
      this.flushing ??= this.flushLoop();
    }
    for (const listener of this.listeners) listener(op);
    return op;
  }

  /** Live ops from now on; returns the unsubscribe. Called synchronously after reading `ops`, it misses none. */
  subscribe(listener: (op: HistoryOp) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once every op recorded so far is in PostgreSQL (rejects if recording failed). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.failure) throw this.failure;
  }

  private async flushLoop(): Promise<void> {
    try {
      await new Promise((resolve) => setTimeout(resolve, LINGER_MS));
      while (this.pending.length > 0 && !this.failure) {
        const batch = this.pending.length <= MAX_BATCH ? this.pending : this.pending.slice(0, MAX_BATCH);
        this.pending = this.pending.length <= MAX_BATCH ? [] : this.pending.slice(MAX_BATCH);
        await this.write(batch);
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async write(batch: HistoryOp[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.sink!.appendOps(this.experimentId, batch);
        return;
      } catch (err) {
        if (attempt >= RETRIES) {
          this.failure = new Error(`recording the history failed: ${(err as Error).message}`);
          this.pending = [];
          this.onFailure(this.failure);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  }
}
