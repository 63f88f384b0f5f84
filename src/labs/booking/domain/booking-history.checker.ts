import type { Anomaly, CheckContext, HistoryOp, Verdict } from '../../../platform/experiments/experiment.contract';

/** `book` invoke value; its ok completion adds what the lab answered. */
export interface BookValue {
  seat: string;
  customer: string;
}

/** `read` ok value: who holds each booked seat (free seats are absent). */
export interface SeatMapValue {
  booked: Record<string, string>;
}

interface Booking {
  seat: string;
  customer: string;
  /** Index of the completion. */
  op: number;
}

/**
 * The booking checker (pure, one pass): a seat is never ok'd to two customers; every ok booking is
 * in the final read of the seat map; no booking that failed shows in any read. `info` bookings
 * may or may not have happened, so they are never an anomaly on their own, but an info booking
 * that overwrote an ok one still leaves that ok booking lost.
 */
export function checkBookingHistory(history: readonly HistoryOp[], _context?: CheckContext): Verdict {
  const anomalies: Anomaly[] = [];
  const okBySeat = new Map<string, Booking[]>();
  const failedByCustomer = new Map<string, Booking>();
  const invokes = new Map<number | string, HistoryOp>();
  const counts = { invoke: 0, ok: 0, fail: 0, info: 0 };
  const bookings = { ok: 0, fail: 0, info: 0 };
  const reads: HistoryOp[] = [];
  let finalRead: HistoryOp | undefined;
  let finalReadAttempted = false;

  for (const op of history) {
    counts[op.type]++;
    if (op.process === 'nemesis') continue;
    if (op.type === 'invoke') {
      invokes.set(op.process, op);
      if (op.f === 'read' && isFinal(op.value)) finalReadAttempted = true;
      continue;
    }
    const invoke = invokes.get(op.process);
    invokes.delete(op.process);
    if (op.f === 'book') {
      const value = (invoke?.value ?? op.value) as BookValue;
      const booking = { seat: value.seat, customer: value.customer, op: op.index };
      bookings[op.type]++;
      if (op.type === 'ok') {
        const list = okBySeat.get(booking.seat);
        if (list) list.push(booking);
        else okBySeat.set(booking.seat, [booking]);
      } else if (op.type === 'fail') {
        failedByCustomer.set(booking.customer, booking);
      }
    } else if (op.f === 'read' && op.type === 'ok') {
      reads.push(op);
      if (invoke && isFinal(invoke.value)) finalRead = op;
    }
  }

  for (const [seat, list] of okBySeat) {
    for (let i = 1; i < list.length; i++) {
      const first = list[0];
      const other = list[i];
      anomalies.push({
        type: 'double-booking',
        explanation: `seat ${seat} was confirmed to ${first.customer} (op ${first.op}) and to ${other.customer} (op ${other.op})`,
        ops: [first.op, other.op],
      });
    }
  }

  // A failed booking must never hold a seat, in any read; all reads happen after the reset.
  if (failedByCustomer.size > 0)
    for (const read of reads) {
      const booked = (read.value as SeatMapValue | null)?.booked ?? {};
      for (const seat in booked) {
        const failed = failedByCustomer.get(booked[seat]);
        if (failed !== undefined && failed.seat === seat) {
          anomalies.push({
            type: 'failed-booking-visible',
            explanation: `${failed.customer}'s booking of ${seat} failed (op ${failed.op}) but the read (op ${read.index}) shows it holding the seat`,
            ops: [failed.op, read.index],
          });
        }
      }
    }

  if (finalRead) {
    const booked = (finalRead.value as SeatMapValue).booked;
    for (const [seat, list] of okBySeat) {
      for (const booking of list) {
        if (booked[seat] === booking.customer) continue;
        anomalies.push({
          type: 'lost-booking',
          explanation:
            `${booking.customer}'s booking of ${seat} was ok'd (op ${booking.op}) but the final read (op ${finalRead.index}) ` +
            (booked[seat] ? `shows ${booked[seat]} holding it` : 'shows the seat free'),
          ops: [booking.op, finalRead.index],
        });
      }
    }
  }

  const byType: Record<string, number> = {};
  for (const a of anomalies) byType[a.type] = (byType[a.type] ?? 0) + 1;
  const stats = {
    ops: counts,
    bookings,
    seats_confirmed: okBySeat.size,
    reads: reads.length,
    final_read: finalRead ? finalRead.index : null,
    anomalies: byType,
  };
  if (anomalies.length > 0) return { valid: false, anomalies, stats };
  // Without the final read, lost bookings cannot be ruled out.
  if (!finalRead && (finalReadAttempted || bookings.ok > 0)) {
    return {
      valid: 'unknown',
      anomalies,
      stats: { ...stats, unknown_because: 'no final read of the seat map completed' },
    };
  }
  return { valid: true, anomalies, stats };
}

function isFinal(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { final?: unknown }).final === true;
}
