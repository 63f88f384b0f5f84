import { Injectable } from '@nestjs/common';
import { LabDatabase } from '../../../platform/database/lab-database';
import { RedisService } from '../../../platform/redis/redis.service';
import { LabStrategy } from '../../../platform/strategy';
import { BOOKING_LAB, SEAT_LOCKING_PORT } from '../booking.config';
import { underSeatLock } from './seat-lock';
import { ReservationContext, ReservationOutcome, SeatLockingKey, SeatLockingPort, SeatRef } from './seat-locking.port';

/**
 * Fenced: the Redlock lease of `distributed`, plus a fencing token the database enforces
 * (Kleppmann, "How to do distributed locking"). After taking the lease the holder draws a token
 * from a PostgreSQL sequence, so a later holder always has a larger one, and claims the seat
 * with it: the claim only succeeds if no newer holder has claimed the seat already. The booking
 * UPDATE then requires the seat to still carry that same token. A holder that stalled past its
 * TTL finds a newer token on the seat and writes nothing, whatever order the two wake up in.
 * What remains open: nothing for double booking; a stalled holder just loses its turn.
 */
@Injectable()
@LabStrategy({
  lab: BOOKING_LAB,
  port: SEAT_LOCKING_PORT,
  key: SeatLockingKey.Fenced,
  description:
    'Redlock lease plus a fencing token (PostgreSQL sequence) checked in the UPDATE: a holder past its TTL cannot write.',
})
export class FencedSeatLockingStrategy extends SeatLockingPort {
  constructor(
    private readonly db: LabDatabase,
    private readonly redis: RedisService,
  ) {
    super();
  }

  async reserve(seat: SeatRef, customerId: string, context: ReservationContext): Promise<ReservationOutcome> {
    return underSeatLock(this.redis.redlock, seat, context.settings.lock_ttl_ms, () =>
      this.claimThenWrite(seat, customerId, context),
    );
  }

  private async claimThenWrite(
    seat: SeatRef,
    customerId: string,
    context: ReservationContext,
  ): Promise<ReservationOutcome> {
    const [{ token }] = await this.db.query<{ token: string }>(
      `SELECT nextval('booking.fencing_tokens')::int8 AS token`,
    );
    const fencingToken = Number(token);
    const facts = { attempts: 1, retries: 0, fencingToken };

    // Claim: only a token greater than every token seen on this seat may read it for a booking.
    const claimed = await this.db.query<{ is_booked: boolean; booked_by: string | null }>(
      `UPDATE booking.seats SET fence_token = $2
        WHERE id = $1 AND fence_token < $2
        RETURNING is_booked, booked_by`,
      [seat.id, fencingToken],
    );
    if (claimed.length === 0) return { status: 'rejected', reason: 'stale_token', contended: true, ...facts };
    const [current] = claimed;
    if (current.is_booked) {
      return { status: 'already_booked', bookedBy: current.booked_by, contended: false, ...facts };
    }

    await context.raceWindow();

    // The fence: the write lands only if no newer holder claimed the seat while we waited.
    const updated = await this.db.execute(
      `UPDATE booking.seats
          SET is_booked = TRUE, booked_by = $2, booked_at = now(), version = version + 1
        WHERE id = $1 AND fence_token = $3`,
      [seat.id, customerId, fencingToken],
    );
    if (updated === 0) return { status: 'rejected', reason: 'stale_token', contended: true, ...facts };
    return { status: 'reserved', contended: false, ...facts };
  }
}
