import { Injectable } from '@nestjs/common';
import { LabStrategy } from '../../../platform/strategy';
import { BOOKING_LAB, SEAT_LOCKING_PORT } from '../booking.config';
import { NoneSeatLockingStrategy } from './none.seat-locking.strategy';
import { ReservationContext, ReservationOutcome, SeatLockingKey, SeatLockingPort, SeatRef } from './seat-locking.port';

/** At most this many seats held at once by one process; beyond it a request is refused, never queued. */
export const LOCAL_LOCKS_MAX = 10_000;

/**
 * Local: an in-process lock per seat (a mutex in this Node process's memory), tried without
 * waiting; inside it the same check-then-write as `none`:
 *
 *   locks.add(seat)                       -- refused at once if this process already holds it
 *   SELECT is_booked, booked_by FROM booking.seats WHERE id = $1;
 *   -- race_window_ms
 *   UPDATE booking.seats SET is_booked = TRUE, ... WHERE id = $1;
 *   locks.delete(seat)                    -- after the UPDATE has committed
 *
 * Window left open: none while one process serves the seat; with several instances behind a
 * balancer (LAB_PROCESSES=1 LAB_INSTANCES=booking=3) each process has its own lock table, so
 * requests landing on different instances all hold "the" lock at once and double-book — the
 * reason locks that guard shared data must live where every instance sees them (PostgreSQL row
 * locks, Redis leases).
 */
@Injectable()
@LabStrategy({
  lab: BOOKING_LAB,
  port: SEAT_LOCKING_PORT,
  key: SeatLockingKey.Local,
  description:
    'In-process lock per seat (no wait): safe with one instance, double-books with several behind a balancer.',
})
export class LocalSeatLockingStrategy extends SeatLockingPort {
  private readonly held = new Set<number>();

  constructor(private readonly unguarded: NoneSeatLockingStrategy) {
    super();
  }

  async reserve(seat: SeatRef, customerId: string, context: ReservationContext): Promise<ReservationOutcome> {
    if (this.held.has(seat.id) || this.held.size >= LOCAL_LOCKS_MAX) {
      return { status: 'rejected', reason: 'lock_not_acquired', attempts: 1, retries: 0, contended: true };
    }
    this.held.add(seat.id);
    try {
      // The very read-then-write of `none`; only this process's other requests wait outside.
      return await this.unguarded.reserve(seat, customerId, context);
    } finally {
      this.held.delete(seat.id);
    }
  }

  /** Seats this process holds right now (for tests). */
  get heldCount(): number {
    return this.held.size;
  }
}
