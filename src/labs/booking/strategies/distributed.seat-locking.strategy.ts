import { Injectable } from '@nestjs/common';
import { RedisService } from '../../../platform/redis/redis.service';
import { LabStrategy } from '../../../platform/strategy';
import { BOOKING_LAB, SEAT_LOCKING_PORT } from '../booking.config';
import { NoneSeatLockingStrategy } from './none.seat-locking.strategy';
import { underSeatLock } from './seat-lock';
import { ReservationContext, ReservationOutcome, SeatLockingKey, SeatLockingPort, SeatRef } from './seat-locking.port';

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
export class DistributedSeatLockingStrategy extends SeatLockingPort {
  constructor(
    private readonly unguarded: NoneSeatLockingStrategy,
    private readonly redis: RedisService,
  ) {
    super();
  }

  async reserve(seat: SeatRef, customerId: string, context: ReservationContext): Promise<ReservationOutcome> {
    return underSeatLock(this.redis.redlock, seat, context.settings.lock_ttl_ms, () =>
      // The very read-then-write of `none`, whose UPDATE trusts the lease: nothing checks it.
      this.unguarded.reserve(seat, customerId, context),
    );
  }
}
