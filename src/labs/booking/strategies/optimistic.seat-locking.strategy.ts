import { Injectable } from '@nestjs/common';
import { LabDatabase } from '../../../platform/database/lab-database';
import { delay } from '../../../platform/faults';
import { LabStrategy } from '../../../platform/strategy';
import { BOOKING_LAB, SEAT_LOCKING_PORT } from '../booking.config';
import { ReservationContext, ReservationOutcome, SeatLockingKey, SeatLockingPort, SeatRef } from './seat-locking.port';

/**
 * Optimistic: no lock while waiting. The read remembers `version`; the write succeeds only if the
 * version is still the same (`WHERE version = $v`), and every writer of the lab bumps it. The
 * window stays open, but a write that lost it changes nothing: its UPDATE matches 0 rows, it
 * backs off (10, 20, 40 ms...) and reads again, and then finds the seat booked.
 */
@Injectable()
@LabStrategy({
  lab: BOOKING_LAB,
  port: SEAT_LOCKING_PORT,
  key: SeatLockingKey.Optimistic,
  description: 'Version column: UPDATE ... WHERE version = the version read; on 0 rows back off and retry (bounded).',
})
export class OptimisticSeatLockingStrategy extends SeatLockingPort {
  constructor(private readonly db: LabDatabase) {
    super();
  }

  async reserve(seat: SeatRef, customerId: string, context: ReservationContext): Promise<ReservationOutcome> {
    const { optimistic_max_attempts: maxAttempts, optimistic_backoff_ms: backoffMs } = context.settings;
    let retries = 0;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const [current] = await this.db.query<{ is_booked: boolean; booked_by: string | null; version: number }>(
        `SELECT is_booked, booked_by, version FROM booking.seats WHERE id = $1`,
        [seat.id],
      );
      if (current.is_booked) {
        return { status: 'already_booked', bookedBy: current.booked_by, attempts: attempt, retries, contended: false };
      }

      await context.raceWindow();

      const updated = await this.db.execute(
        `UPDATE booking.seats
            SET is_booked = TRUE, booked_by = $2, booked_at = now(), version = version + 1
          WHERE id = $1 AND version = $3`,
        [seat.id, customerId, current.version],
      );
      if (updated === 1) return { status: 'reserved', attempts: attempt, retries, contended: false };

      if (attempt < maxAttempts) {
        retries++;
        await delay(backoffMs * 2 ** (attempt - 1));
      }
    }
    return { status: 'rejected', reason: 'retries_exhausted', attempts: maxAttempts, retries, contended: true };
  }
}
