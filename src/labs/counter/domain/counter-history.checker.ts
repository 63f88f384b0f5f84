import type { Anomaly, CheckContext, HistoryOp, Verdict } from '../../../platform/experiments/experiment.contract';

/**
 * The counter lab's checker: Jepsen's counter checker, applied to every read (not only the last),
 * with the promise each node makes. Pure: no I/O, two passes over the history.
 *
 * History shape:
 * - `add` — invoke `{counter, amount}` (a PN decrement has a negative amount); its completion's
 *   `node` is the region that acknowledged it (a gateway increment lands on one region).
 * - `read` / `final-read` — invoke `{counter}`, ok value `{counter, value}`; `node` is where it read.
 *
 * Bounds of a read, from the increments around it:
 * - a **linearizable** node (the gateway merging every region's map, the strong counter) must see
 *   every ok increment completed before the read began and nothing that was not invoked before it
 *   completed: lower = Σ ok positive completed before the invoke + Σ negative invoked (not failed)
 *   before the completion; upper symmetric.
 * - a **region** (eventually consistent) owes only its own acknowledgements: lower counts the ok
 *   positive increments that region acknowledged before the read began (others may not have
 *   synced yet); upper is the same as above (it can never count what was never invoked).
 * - a counter that only grows (no negative amount anywhere in the history) must never go down at a
 *   node: a read that began after another read of that node completed is not smaller.
 * - `final-read`, after the heal and a forced sync: exactly Σ ok amounts, where info increments may
 *   count or not (bounds [Σok + Σinfo negative, Σok + Σinfo positive]).
 */
export const COUNTER_ANOMALY = {
  outOfBounds: 'read-out-of-bounds',
  finalMismatch: 'final-read-mismatch',
  nonMonotonic: 'non-monotonic-read',
} as const;

export interface CounterCheckSetup {
  /** Nodes whose reads promise linearizability (e.g. `gateway` with crdt-merge, `strong`). */
  linearizable_nodes?: string[];
}

interface AddInfo {
  counter: string;
  amount: number;
  outcome: 'ok' | 'fail' | 'info';
  ackNode?: string;
}

interface ReadInfo {
  counter: string;
  node: string;
  final: boolean;
  invoke: number;
  /** Snapshots taken at the invoke. */
  okPosAll: number;
  okNegAll: number;
  okPosNode: number;
  okNegNode: number;
  prevMax: number;
  prevMaxIndex: number;
}

const key = (counter: string, node: string) => `${counter}\u0000${node}`;

export function checkCounterHistory(history: readonly HistoryOp[], context?: Pick<CheckContext, 'setup'>): Verdict {
  const linearizable = new Set((context?.setup as CounterCheckSetup | undefined)?.linearizable_nodes ?? []);
  const n = history.length;

  // Pass 1: pair invokes with completions (one op at a time per process) to know each add's outcome.
  const completionOf = new Int32Array(n).fill(-1);
  const invokeOf = new Int32Array(n).fill(-1);
  const open = new Map<number | string, number>();
  for (let i = 0; i < n; i++) {
    const op = history[i];
    if (op.process === 'nemesis') continue;
    if (op.type === 'invoke') open.set(op.process, i);
    else {
      const inv = open.get(op.process);
      if (inv !== undefined) {
        completionOf[inv] = i;
        invokeOf[i] = inv;
        open.delete(op.process);
      }
    }
  }
  const growOnly = new Set<string>();
  const hasNegative = new Set<string>();
  for (let i = 0; i < n; i++) {
    const op = history[i];
    if (op.type !== 'invoke' || op.f !== 'add') continue;
    const { counter, amount } = addArgs(op.value);
    if (amount < 0) hasNegative.add(counter);
    else growOnly.add(counter);
  }

  // Pass 2: sweep in history order with running sums.
  const okPosAll = new Map<string, number>();
  const okNegAll = new Map<string, number>();
  const okPosNode = new Map<string, number>();
  const okNegNode = new Map<string, number>();
  const invPos = new Map<string, number>();
  const invNeg = new Map<string, number>();
  const okTotal = new Map<string, number>();
  const infoPos = new Map<string, number>();
  const infoNeg = new Map<string, number>();
  const maxRead = new Map<string, { value: number; index: number }>();
  const adds = new Map<number, AddInfo>();
  const reads = new Map<number, ReadInfo>();
  const anomalies: Anomaly[] = [];
  const stats = {
    adds: 0,
    adds_ok: 0,
    adds_fail: 0,
    adds_info: 0,
    reads: 0,
    reads_ok: 0,
    reads_unknown: 0,
    final_reads: 0,
    out_of_bounds_low: 0,
    out_of_bounds_high: 0,
    non_monotonic: 0,
    final_mismatches: 0,
    max_undercount: 0,
    max_overcount: 0,
  };
  const finals: Record<string, Record<string, number>> = {};
  const inc = (m: Map<string, number>, k: string, d: number) => m.set(k, (m.get(k) ?? 0) + d);

  for (let i = 0; i < n; i++) {
    const op = history[i];
    if (op.process === 'nemesis') continue;
    if (op.type === 'invoke') {
      if (op.f === 'add') {
        const { counter, amount } = addArgs(op.value);
        const c = completionOf[i];
        const done = c >= 0 ? history[c] : undefined;
        const outcome = done ? (done.type as AddInfo['outcome']) : 'info';
        stats.adds++;
        adds.set(i, { counter, amount, outcome, ackNode: done?.node ?? op.node });
        if (outcome === 'fail') continue;
        if (amount >= 0) inc(invPos, counter, amount);
        else inc(invNeg, counter, amount);
        if (outcome === 'info') {
          stats.adds_info++;
          if (amount >= 0) inc(infoPos, counter, amount);
          else inc(infoNeg, counter, amount);
        }
      } else if (op.f === 'read' || op.f === 'final-read') {
        const counter = counterOf(op.value);
        const node = op.node ?? '';
        const prev = maxRead.get(key(counter, node));
        reads.set(i, {
          counter,
          node,
          final: op.f === 'final-read',
          invoke: i,
          okPosAll: okPosAll.get(counter) ?? 0,
          okNegAll: okNegAll.get(counter) ?? 0,
          okPosNode: okPosNode.get(key(counter, node)) ?? 0,
          okNegNode: okNegNode.get(key(counter, node)) ?? 0,
          prevMax: prev?.value ?? Number.NEGATIVE_INFINITY,
          prevMaxIndex: prev?.index ?? -1,
        });
      }
      continue;
    }
    const inv = invokeOf[i];
    if (inv < 0) continue;
    const add = adds.get(inv);
    if (add) {
      if (op.type === 'ok') {
        stats.adds_ok++;
        inc(okTotal, add.counter, add.amount);
        const ackKey = key(add.counter, op.node ?? add.ackNode ?? '');
        if (add.amount >= 0) {
          inc(okPosAll, add.counter, add.amount);
          inc(okPosNode, ackKey, add.amount);
        } else {
          inc(okNegAll, add.counter, add.amount);
          inc(okNegNode, ackKey, add.amount);
        }
      } else if (op.type === 'fail') stats.adds_fail++;
      continue;
    }
    const read = reads.get(inv);
    if (!read) continue;
    if (read.final) stats.final_reads++;
    else stats.reads++;
    const value = readValue(op.value);
    if (op.type !== 'ok' || value === undefined) {
      stats.reads_unknown++;
      continue;
    }
    stats.reads_ok++;
    if (read.final) {
      (finals[read.counter] ??= {})[read.node] = value;
      continue; // judged once every increment is known, below
    }
    const lin = linearizable.has(read.node);
    const lower = (lin ? read.okPosAll : read.okPosNode) + (invNeg.get(read.counter) ?? 0);
    const upper = (invPos.get(read.counter) ?? 0) + (lin ? read.okNegAll : read.okNegNode);
    if (value < lower || value > upper) {
      const low = value < lower;
      if (low) {
        stats.out_of_bounds_low++;
        stats.max_undercount = Math.max(stats.max_undercount, lower - value);
      } else {
        stats.out_of_bounds_high++;
        stats.max_overcount = Math.max(stats.max_overcount, value - upper);
      }
      anomalies.push({
        type: COUNTER_ANOMALY.outOfBounds,
        explanation:
          `read of ${read.counter} at ${read.node} (op ${i}) gave ${value}, outside [${lower}, ${upper}]: ` +
          (low
            ? lin
              ? `it missed ${lower - value} of the increments acknowledged before it began`
              : `it missed ${lower - value} of the increments this region itself acknowledged before it began`
            : `${value - upper} more than every increment invoked before it completed`),
        ops: [inv, i],
      });
    }
    if (growOnly.has(read.counter) && !hasNegative.has(read.counter) && value < read.prevMax) {
      stats.non_monotonic++;
      anomalies.push({
        type: COUNTER_ANOMALY.nonMonotonic,
        explanation: `${read.counter} at ${read.node} went down from ${read.prevMax} (op ${read.prevMaxIndex}) to ${value} (op ${i}), yet it only grows`,
        ops: [read.prevMaxIndex, inv, i],
      });
    }
    const k = key(read.counter, read.node);
    const best = maxRead.get(k);
    if (!best || value > best.value) maxRead.set(k, { value, index: i });
  }

  // Final reads: every increment is known now.
  const expected: Record<string, { exact: number; min: number; max: number }> = {};
  for (const counter of new Set([...okTotal.keys(), ...Object.keys(finals), ...infoPos.keys(), ...infoNeg.keys()])) {
    const ok = okTotal.get(counter) ?? 0;
    expected[counter] = { exact: ok, min: ok + (infoNeg.get(counter) ?? 0), max: ok + (infoPos.get(counter) ?? 0) };
  }
  for (const [index, read] of reads) {
    if (!read.final) continue;
    const c = completionOf[index];
    if (c < 0) continue;
    const value = readValue(history[c].value);
    if (history[c].type !== 'ok' || value === undefined) continue;
    const bound = expected[read.counter] ?? { exact: 0, min: 0, max: 0 };
    if (value < bound.min || value > bound.max) {
      stats.final_mismatches++;
      anomalies.push({
        type: COUNTER_ANOMALY.finalMismatch,
        explanation:
          `after the heal ${read.node} reads ${read.counter} = ${value}, but the ok increments sum to ${bound.exact}` +
          (bound.min !== bound.max ? ` (with the unknown ones, [${bound.min}, ${bound.max}])` : ''),
        ops: [index, c],
      });
    }
  }

  const finalUnknown = [...reads.values()].some(
    (r) => r.final && (completionOf[r.invoke] < 0 || history[completionOf[r.invoke]].type !== 'ok'),
  );
  const valid = anomalies.length > 0 ? false : stats.final_reads === 0 || finalUnknown ? 'unknown' : true;
  return {
    valid,
    anomalies,
    stats: { ...stats, linearizable_nodes: [...linearizable], final_values: finals, expected_final: expected },
  };
}

function addArgs(value: unknown): { counter: string; amount: number } {
  const v = value as { counter?: unknown; amount?: unknown } | null;
  return {
    counter: typeof v?.counter === 'string' ? v.counter : '',
    amount: typeof v?.amount === 'number' ? v.amount : 0,
  };
}

function counterOf(value: unknown): string {
  const c = (value as { counter?: unknown } | null)?.counter;
  return typeof c === 'string' ? c : '';
}

function readValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  const v = (value as { value?: unknown } | null)?.value;
  return typeof v === 'number' ? v : undefined;
}
