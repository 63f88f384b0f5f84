import type { Anomaly, CheckContext, HistoryOp, Verdict } from '../../../platform/experiments/experiment.contract';

/**
 * The orders lab's checker (Jepsen's set checker, Maelstrom's kafka workload): every acknowledged
 * order must be applied exactly once. Pure: no I/O, one pass over the history.
 *
 * History shape:
 * - `send` — invoke `{order_id}`; `ok` = the producer acknowledged it; `fail` = it certainly was not
 *   sent (refused before Kafka); `info` = unknown (timeout, 503 after the send may have happened).
 * - `read` — the final read after the consumer drained: ok value `{applied: {order_id: n}, drained}`,
 *   `n` = how many times the order's side effect ran (`orders.applied_count`).
 *
 * lost      — acknowledged and absent (n = 0);
 * duplicate — any send whose side effect ran more than once (n > 1), acknowledged or not;
 * phantom   — a failed send that was applied, or an applied order nobody sent.
 * Unacknowledged (info) sends may be present once or absent.
 */
export const ORDER_ANOMALY = { lost: 'lost', duplicate: 'duplicate', phantom: 'phantom' } as const;

export interface OrdersReadValue {
  applied: Record<string, number>;
  /** False when the consumer did not drain before the read: an absent order may still be on its way. */
  drained?: boolean;
}

interface SendRecord {
  invoke: number;
  completion: number;
  type: 'ok' | 'fail' | 'info' | 'pending';
}

export function checkOrdersHistory(history: readonly HistoryOp[], _context?: CheckContext): Verdict {
  const sends = new Map<string, SendRecord>();
  const pending = new Map<number | string, { index: number; orderId: string | undefined; f: string }>();
  let read: { index: number; value: OrdersReadValue } | undefined;
  let readUnknown = false;
  const counts = { sends: 0, ok: 0, fail: 0, info: 0, pending: 0 };

  for (const op of history) {
    if (op.process === 'nemesis') continue;
    if (op.type === 'invoke') {
      const orderId = op.f === 'send' ? orderIdOf(op.value) : undefined;
      pending.set(op.process, { index: op.index, orderId, f: op.f });
      if (op.f === 'send') {
        counts.sends++;
        if (orderId !== undefined) sends.set(orderId, { invoke: op.index, completion: op.index, type: 'pending' });
      }
      continue;
    }
    const started = pending.get(op.process);
    pending.delete(op.process);
    const f = started?.f ?? op.f;
    if (f === 'send') {
      const orderId = started?.orderId ?? orderIdOf(op.value);
      counts[op.type]++;
      if (orderId === undefined) continue;
      sends.set(orderId, { invoke: started?.index ?? op.index, completion: op.index, type: op.type });
    } else if (f === 'read') {
      if (op.type === 'ok' && isReadValue(op.value)) read = { index: op.index, value: op.value };
      else readUnknown = true;
    }
  }

  const anomalies: Anomaly[] = [];
  const byType = { lost: 0, duplicate: 0, phantom: 0 };
  let appliedOnce = 0;
  let infoApplied = 0;
  let infoAbsent = 0;
  let absentUndrained = 0;
  for (const record of sends.values()) if (record.type === 'pending') counts.pending++;

  if (!read) {
    return {
      valid: 'unknown',
      anomalies: [],
      stats: { ...counts, reason: readUnknown ? 'the final read did not complete' : 'no final read in the history' },
    };
  }
  const drained = read.value.drained !== false;
  const applied = read.value.applied;
  const readIndex = read.index;

  for (const [orderId, record] of sends) {
    const n = applied[orderId] ?? 0;
    const ops =
      record.invoke === record.completion ? [record.invoke, readIndex] : [record.invoke, record.completion, readIndex];
    if (n > 1) {
      byType.duplicate++;
      anomalies.push({
        type: ORDER_ANOMALY.duplicate,
        explanation: `order ${orderId} (${describe(record)}, op ${record.completion}) was applied ${n} times`,
        ops,
      });
    } else if (record.type === 'ok') {
      if (n === 1) appliedOnce++;
      else if (!drained) absentUndrained++;
      else {
        byType.lost++;
        anomalies.push({
          type: ORDER_ANOMALY.lost,
          explanation: `order ${orderId} was acknowledged (op ${record.completion}) but never applied`,
          ops,
        });
      }
    } else if (record.type === 'fail') {
      if (n === 1) {
        byType.phantom++;
        anomalies.push({
          type: ORDER_ANOMALY.phantom,
          explanation: `order ${orderId} was refused (op ${record.completion}) yet applied`,
          ops,
        });
      }
    } else if (n === 1) infoApplied++;
    else infoAbsent++;
  }
  for (const [orderId, n] of Object.entries(applied)) {
    if (n > 0 && !sends.has(orderId)) {
      byType.phantom++;
      anomalies.push({
        type: ORDER_ANOMALY.phantom,
        explanation: `order ${orderId} was applied ${n} time(s) but never sent`,
        ops: [readIndex],
      });
    }
  }

  // Undrained: an acknowledged order that is absent may still be on its way, so it proves nothing.
  const valid = anomalies.length > 0 ? false : absentUndrained > 0 ? 'unknown' : true;
  return {
    valid,
    anomalies,
    stats: {
      ...counts,
      applied_once: appliedOnce,
      info_applied: infoApplied,
      info_absent: infoAbsent,
      lost: byType.lost,
      duplicated: byType.duplicate,
      phantom: byType.phantom,
      drained,
      absent_undrained: absentUndrained,
      semantics_observed: semanticsObserved(byType.lost, byType.duplicate),
    },
  };
}

/** What the run showed: exactly-once (neither), at-most-once (lost only), at-least-once (duplicates only), or neither guarantee. */
export function semanticsObserved(lost: number, duplicated: number): string {
  if (lost === 0 && duplicated === 0) return 'exactly-once';
  if (duplicated === 0) return 'at-most-once';
  if (lost === 0) return 'at-least-once';
  return 'none';
}

function describe(record: SendRecord): string {
  return record.type === 'ok'
    ? 'acknowledged'
    : record.type === 'info'
      ? 'unacknowledged'
      : record.type === 'fail'
        ? 'refused'
        : 'still pending';
}

function orderIdOf(value: unknown): string | undefined {
  const id = (value as { order_id?: unknown } | null)?.order_id;
  return typeof id === 'string' ? id : undefined;
}

function isReadValue(value: unknown): value is OrdersReadValue {
  const applied = (value as { applied?: unknown } | null)?.applied;
  return typeof applied === 'object' && applied !== null;
}
