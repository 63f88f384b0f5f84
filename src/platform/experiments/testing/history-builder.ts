import type { HistoryOp, OpType, ProcessId } from '../experiment.contract';

/**
 * Writes histories by hand for checker tests: `invoke` then `ok` / `fail` / `info` per process,
 * in the order they happened; indices and times are assigned as in a recorded run.
 *
 *   const h = new HistoryBuilder();
 *   h.invoke(0, 'book', { seat: 'A1', customer: 'c0' });
 *   h.invoke(1, 'book', { seat: 'A1', customer: 'c1' });
 *   const a = h.ok(0);            // index of the completion
 *   const b = h.ok(1);
 */
export class HistoryBuilder {
  readonly ops: HistoryOp[] = [];
  private readonly open = new Map<ProcessId, HistoryOp>();
  private clock = 0;

  invoke(process: ProcessId, f: string, value: unknown = null): number {
    if (this.open.has(process)) throw new Error(`process ${String(process)} already has an op in flight`);
    const op = this.push('invoke', process, f, value);
    this.open.set(process, op);
    return op.index;
  }

  ok(process: ProcessId, value?: unknown): number {
    return this.complete(process, 'ok', value);
  }

  fail(process: ProcessId, value?: unknown, error = 'failed'): number {
    return this.complete(process, 'fail', value, error);
  }

  info(process: ProcessId, value?: unknown, error = 'timeout'): number {
    return this.complete(process, 'info', value, error);
  }

  /** invoke and complete at once (no overlap with anything else); returns the completion's index. */
  call(process: ProcessId, f: string, value: unknown, type: Exclude<OpType, 'invoke'>, result?: unknown): number {
    this.invoke(process, f, value);
    return this.complete(process, type, result);
  }

  complete(process: ProcessId, type: Exclude<OpType, 'invoke'>, value?: unknown, error?: string): number {
    const invoke = this.open.get(process);
    if (!invoke) throw new Error(`process ${String(process)} has no op in flight`);
    this.open.delete(process);
    const op = this.push(type, process, invoke.f, value === undefined ? invoke.value : value);
    if (error !== undefined && type !== 'ok') op.error = error;
    return op.index;
  }

  private push(type: OpType, process: ProcessId, f: string, value: unknown): HistoryOp {
    this.clock += 1000;
    const op: HistoryOp = { index: this.ops.length, type, process, f, value, time: this.clock };
    this.ops.push(op);
    return op;
  }
}
