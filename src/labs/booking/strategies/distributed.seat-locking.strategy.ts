import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { RedisService } from '../../../platform/redis/redis.service';
import { LabStrategy } from '../../../platform/strategy';
import { BOOKING_LAB, SEAT_LOCKING_PORT } from '../booking.config';
import { underSeatLock } from './seat-lock';
import { ReservationContext, ReservationOutcome, SeatLockingKey, SeatLockingStrategy, SeatRef } from './seat-locking.port';

/**
 * Distributed: a Redlock lease on `seat_lock:{event}:{seat}` guards read-then-write across app
 * instances; a busy seat fails at once. The lease is a promise about time, not about the write:
 * if the holder stalls longer than lock_ttl_ms (GC pause, stalled VM), the lock expires, a second
 * holder books the seat, and the first one wakes up and still runs its UPDATE, which nothing
 * at the database checks. That is the window this strategy leaves open (see `fenced`).
 */
@Injectable()
@LabStrategy({
  lab: BOOKING_LAB,
  port: SEAT_LOCKING_PORT,
  key: SeatLockingKey.Distributed,
  description:
    'Redlock lease on seat_lock:{event}:{seat} (TTL lock_ttl_ms, no wait). Unsafe when the holder stalls past the TTL.',
})
export class DistributedSeatLockingStrategy extends SeatLockingStrategy {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly redis: RedisService,
  ) {
    super();
  }

  async reserve(seat: SeatRef, customerId: string, context: ReservationContext): Promise<ReservationOutcome> {
    return underSeatLock(this.redis.redlock, seat, context.settings.lock_ttl_ms, () =>
      this.readThenWrite(seat, customerId, context),
    );
  }

  private async readThenWrite(seat: SeatRef, customerId: string, context: ReservationContext): Promise<ReservationOutcome> {
    const [current] = (await this.db.query(`SELECT is_booked, booked_by FROM booking.seats WHERE id = $1`, [
      seat.id,
    ])) as Array<{ is_booked: boolean; booked_by: string | null }>;
    if (current.is_booked) {
      return { status: 'already_booked', bookedBy: current.booked_by, attempts: 1, retries: 0, contended: false };
    }

    await context.raceWindow();

    // Trusts the lease: no condition, so a holder whose lease expired overwrites the next holder.
    await this.db.query(
      `UPDATE booking.seats
          SET is_booked = TRUE, booked_by = $2, booked_at = now(), version = version + 1
        WHERE id = $1`,
      [seat.id, customerId],
    );
    return { status: 'reserved', attempts: 1, retries: 0, contended: false };
  }
}
