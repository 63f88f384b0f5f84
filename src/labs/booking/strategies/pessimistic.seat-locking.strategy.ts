import { Injectable } from '@nestjs/common';
import { LabDatabase } from '../../../platform/database/lab-database';
import { LabStrategy } from '../../../platform/strategy';
import { BOOKING_LAB, SEAT_LOCKING_PORT } from '../booking.config';
import { ReservationContext, ReservationOutcome, SeatLockingKey, SeatLockingPort, SeatRef } from './seat-locking.port';

/**
 * Pessimistic: `SELECT ... FOR UPDATE` takes the seat's row lock inside a transaction, so the
 * read and the write happen under one lock and the window is closed. Concurrent requests queue in
 * PostgreSQL (each holding a pooled connection while it waits) and then read the seat as booked.
 * The lock lives as long as the transaction, not a TTL: a paused holder stays safe, it only
 * makes everyone else wait.
 *
 *   BEGIN ISOLATION LEVEL READ COMMITTED;
 *   SELECT is_booked, booked_by FROM booking.seats WHERE id = $1 FOR UPDATE;  -- waiters queue here
 *   UPDATE booking.seats SET is_booked = TRUE, ... WHERE id = $1;              -- only if still free
 *   COMMIT;                                                                    -- the lock is released
 *
 * Window left open: none for the seat; the price is a connection held per waiter.
 */
@Injectable()
@LabStrategy({
  lab: BOOKING_LAB,
  port: SEAT_LOCKING_PORT,
  key: SeatLockingKey.Pessimistic,
  description: 'Row lock: SELECT ... FOR UPDATE in a READ COMMITTED transaction; waiters queue in PostgreSQL.',
})
export class PessimisticSeatLockingStrategy extends SeatLockingPort {
  constructor(private readonly db: LabDatabase) {
    super();
  }

  reserve(seat: SeatRef, customerId: string, context: ReservationContext): Promise<ReservationOutcome> {
    return this.db.transaction('READ COMMITTED', async (tx) => {
      const [current] = await tx.query<{ is_booked: boolean; booked_by: string | null }>(
        `SELECT is_booked, booked_by FROM booking.seats WHERE id = $1 FOR UPDATE`,
        [seat.id],
      );
      if (current.is_booked) {
        return { status: 'already_booked', bookedBy: current.booked_by, attempts: 1, retries: 0, contended: true };
      }

      await context.raceWindow();

      await tx.execute(
        `UPDATE booking.seats
            SET is_booked = TRUE, booked_by = $2, booked_at = now(), version = version + 1
          WHERE id = $1`,
        [seat.id, customerId],
      );
      return { status: 'reserved', attempts: 1, retries: 0, contended: false };
    });
  }
}
