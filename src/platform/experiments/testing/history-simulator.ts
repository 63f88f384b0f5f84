import type { HistoryOp, ProcessId } from '../experiment.contract';
import { SeededRng } from '../rng';

/** A sequential model of the system under test: what a correct system answers at each op's linearization point. */
export interface HistoryModel<S> {
  init(): S;
  /** The next op a process issues (`k` = how many it issued before). */
  next(rng: SeededRng, process: number, k: number): { f: string; value: unknown };
  /** The op takes effect atomically here; a `fail` must leave `state` unchanged. */
  apply(state: S, op: { f: string; value: unknown; process: number }): { type: 'ok' | 'fail'; value: unknown };
  /** Ops run after every client stopped (e.g. the final read), each applied at once. */
  finalOps?(state: S): Array<{ f: string; value: unknown }>;
}

export interface SimulationOptions {
  seed: number;
  processes: number;
  /** Client ops to issue (final ops come on top). */
  ops: number;
  /** Share of ops that complete `info`: half of them took effect, half did not. */
  infoRate?: number;
}

interface InFlight {
  f: string;
  value: unknown;
  applied?: { type: 'ok' | 'fail'; value: unknown };
  info: boolean;
}

/**
 * Generates a correct concurrent history of `model`: processes interleave at random, each op takes
 * effect at one point between its invoke and its completion (so the history is linearizable by
 * construction), and some ops end `info`, having taken effect or not. Deterministic for a seed;
 * used by the property tests and the checker benches of every lab.
 */
export function simulateHistory<S>(
  model: HistoryModel<S>,
  options: SimulationOptions,
): { history: HistoryOp[]; state: S } {
  const rng = new SeededRng(options.seed, 7);
  const state = model.init();
  const history: HistoryOp[] = [];
  const infoRate = options.infoRate ?? 0;
  const inFlight = new Array<InFlight | undefined>(options.processes);
  const issued = new Array<number>(options.processes).fill(0);
  let time = 0;
  let invoked = 0;
  let open = 0;
  const push = (type: HistoryOp['type'], process: ProcessId, f: string, value: unknown, error?: string) => {
    time += 1 + rng.int(0, 999);
    const op: HistoryOp = { index: history.length, type, process, f, value, time };
    if (error !== undefined) op.error = error;
    history.push(op);
  };
  while (invoked < options.ops || open > 0) {
    const p = rng.int(0, options.processes - 1);
    const current = inFlight[p];
    if (!current) {
      if (invoked >= options.ops) continue;
      const next = model.next(rng, p, issued[p]++);
      inFlight[p] = { ...next, info: rng.next() < infoRate };
      push('invoke', p, next.f, next.value);
      invoked++;
      open++;
    } else if (!current.applied) {
      if (current.info && rng.next() < 0.5) {
        // Timed out before taking effect: it never will.
        push('info', p, current.f, current.value, 'timeout');
        inFlight[p] = undefined;
        open--;
      } else {
        current.applied = model.apply(state, { f: current.f, value: current.value, process: p });
      }
    } else {
      if (current.info) push('info', p, current.f, current.value, 'timeout');
      else
        push(
          current.applied.type,
          p,
          current.f,
          current.applied.value,
          current.applied.type === 'fail' ? 'failed' : undefined,
        );
      inFlight[p] = undefined;
      open--;
    }
  }
  for (const op of model.finalOps?.(state) ?? []) {
    push('invoke', 0, op.f, op.value);
    const result = model.apply(state, { ...op, process: 0 });
    push(result.type, 0, op.f, result.value);
  }
  return { history, state };
}
