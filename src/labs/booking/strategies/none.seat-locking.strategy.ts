import { Injectable } from '@nestjs/common';
import { LabDatabase } from '../../../platform/database/lab-database';
import { LabStrategy } from '../../../platform/strategy';
import { BOOKING_LAB, SEAT_LOCKING_PORT } from '../booking.config';
import { ReservationContext, ReservationOutcome, SeatLockingKey, SeatLockingPort, SeatRef } from './seat-locking.port';

/**
 * No locking: check, wait, write. Every request that reads the seat before the first write lands
 * sees it free, so all of them write and all of them confirm. The window is the whole gap between
 * the SELECT and the UPDATE (race_window_ms), and nothing closes it.
 */
@Injectable()
@LabStrategy({
  lab: BOOKING_LAB,
  port: SEAT_LOCKING_PORT,
  key: SeatLockingKey.None,
  isDefault: true,
  description:
    'No locking: read, wait race_window_ms, write. Concurrent requests all see the seat free and double-book.',
})
export class NoneSeatLockingStrategy extends SeatLockingPort {
  constructor(private readonly db: LabDatabase) {
    super();
  }

  async reserve(seat: SeatRef, customerId: string, context: ReservationContext): Promise<ReservationOutcome> {
    const [current] = await this.db.query<{ is_booked: boolean; booked_by: string | null }>(
      `SELECT is_booked, booked_by FROM booking.seats WHERE id = $1`,
      [seat.id],
    );
    if (current.is_booked) {
      return { status: 'already_booked', bookedBy: current.booked_by, attempts: 1, retries: 0, contended: false };
    }

    await context.raceWindow();

    // Unconditional: the last writer wins booked_by, and every writer believes it won.
    await this.db.execute(
      `UPDATE booking.seats
          SET is_booked = TRUE, booked_by = $2, booked_at = now(), version = version + 1
        WHERE id = $1`,
      [seat.id, customerId],
    );
    return { status: 'reserved', attempts: 1, retries: 0, contended: false };
  }
}
