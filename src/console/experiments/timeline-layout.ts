import type { Anomaly, HistoryOp } from '../../platform/experiments/experiment.contract';

/** One operation drawn as a bar: from its invoke to its completion (or to now, while pending). */
export interface Bar {
  lane: string;
  process: HistoryOp['process'];
  f: string;
  node?: string;
  invoke: HistoryOp;
  completion?: HistoryOp;
  /** ok | fail | info, or pending while the completion has not arrived. */
  outcome: 'ok' | 'fail' | 'info' | 'pending';
  start: number;
  end: number;
  /** History indices this bar stands for (invoke and completion). */
  indices: number[];
}

export interface NemesisWindow {
  fault: string;
  target?: string;
  start: number;
  /** undefined while the fault is still on. */
  end?: number;
  indices: number[];
}

export interface TimelineModel {
  lanes: string[];
  bars: Bar[];
  nemesis: NemesisWindow[];
  /** Last time seen in the history (ns since the start). */
  end: number;
  /** History index → the bar that shows it. */
  barOf: Map<number, Bar>;
}

export type LaneMode = 'process' | 'node';

function laneOf(op: HistoryOp, mode: LaneMode): string {
  if (mode === 'node') return op.node ?? `process ${String(op.process)}`;
  return `process ${String(op.process)}`;
}

function nemesisFault(value: unknown): { fault: string; target?: string } {
  const v = (value ?? {}) as { fault?: unknown; target?: unknown };
  return {
    fault: typeof v.fault === 'string' ? v.fault : 'fault',
    target: typeof v.target === 'string' ? v.target : undefined,
  };
}

/**
 * Pairs every invoke with the next completion of the same process (a process has at most one
 * operation outstanding, as in Jepsen histories), and the nemesis' start / stop into windows.
 */
export function layoutTimeline(history: readonly HistoryOp[], mode: LaneMode = 'process'): TimelineModel {
  const open = new Map<string, Bar>();
  const bars: Bar[] = [];
  const nemesis: NemesisWindow[] = [];
  const openFaults: NemesisWindow[] = [];
  const startPending: NemesisWindow[] = [];
  const stopping: NemesisWindow[] = [];
  const barOf = new Map<number, Bar>();
  let end = 0;
  for (const op of [...history].sort((a, b) => a.index - b.index)) {
    end = Math.max(end, op.time);
    if (op.process === 'nemesis') {
      // The nemesis' invokes and completions interleave (the next fault may start before the last
      // stop completed), so each kind of op is matched first-in first-out with its own queue.
      const { fault, target } = nemesisFault(op.value);
      const take = (queue: NemesisWindow[]) => {
        const i = queue.findIndex((w) => w.fault === fault && w.target === target);
        return i >= 0 ? queue.splice(i, 1)[0] : undefined;
      };
      if (op.f === 'start') {
        const w = op.type === 'invoke' ? undefined : take(startPending);
        if (w) w.indices.push(op.index);
        else {
          const opened: NemesisWindow = { fault, target, start: op.time, indices: [op.index] };
          nemesis.push(opened);
          openFaults.push(opened);
          if (op.type === 'invoke') startPending.push(opened);
        }
      } else if (op.f === 'stop') {
        const w = op.type === 'invoke' ? take(openFaults) : (take(stopping) ?? take(openFaults));
        if (w) {
          w.end = op.time;
          w.indices.push(op.index);
          if (op.type === 'invoke') stopping.push(w);
        }
      }
      continue;
    }
    const key = String(op.process);
    if (op.type === 'invoke') {
      const bar: Bar = {
        lane: laneOf(op, mode),
        process: op.process,
        f: op.f,
        node: op.node,
        invoke: op,
        outcome: 'pending',
        start: op.time,
        end: op.time,
        indices: [op.index],
      };
      open.set(key, bar);
      bars.push(bar);
      barOf.set(op.index, bar);
      continue;
    }
    const bar = open.get(key);
    if (!bar) continue;
    open.delete(key);
    bar.completion = op;
    bar.outcome = op.type;
    bar.end = op.time;
    bar.node = bar.node ?? op.node;
    if (mode === 'node' && op.node) bar.lane = op.node;
    bar.indices.push(op.index);
    barOf.set(op.index, bar);
  }
  for (const bar of bars) if (bar.outcome === 'pending') bar.end = end;
  const lanes = [...new Set(bars.map((b) => b.lane))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return { lanes, bars, nemesis, end, barOf };
}

/** Every history index named by an anomaly, and which anomalies name it. */
export function anomalyIndex(anomalies: readonly Anomaly[]): Map<number, number[]> {
  const byOp = new Map<number, number[]>();
  anomalies.forEach((a, i) => {
    for (const op of a.ops) byOp.set(op, [...(byOp.get(op) ?? []), i]);
  });
  return byOp;
}

/** Parses the JSON-lines history export. */
export function parseHistoryLines(text: string): HistoryOp[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => JSON.parse(l) as HistoryOp);
}
