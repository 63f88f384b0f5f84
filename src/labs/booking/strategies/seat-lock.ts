import Redlock, { ExecutionError, Lock, ResourceLockedError } from 'redlock';
import { BookingErrorCode, BookingException } from '../booking.errors';
import type { ReservationOutcome, SeatRef } from './seat-locking.port';

/** The seed's key, e.g. `seat_lock:1:A1`. */
export function seatLockKey(seat: SeatRef): string {
  return `seat_lock:${seat.eventId}:${seat.seatNumber}`;
}

/**
 * One try, no waiting (as the seed: a busy seat fails at once). Returns null when another holder
 * has the lock; throws when the Redis quorum cannot be reached, which is an outage, not a race.
 */
export async function tryLockSeat(redlock: Redlock, seat: SeatRef, ttlMs: number): Promise<Lock | null> {
  try {
    return await redlock.acquire([seatLockKey(seat)], ttlMs, { retryCount: 0 });
  } catch (err) {
    if (err instanceof ExecutionError && (await heldByAnother(err))) return null;
    throw new BookingException(
      BookingErrorCode.LockServiceUnavailable,
      `Redis lock service unavailable: ${(err as Error).message}`,
      'unavailable',
    );
  }
}

/**
 * Releases only if the lock is still ours: Redlock's release is one Lua compare-and-delete, so a
 * holder whose lock expired cannot delete the next holder's lock. Returns false when the lock had
 * already expired (the holder overran its TTL).
 */
export async function releaseSeatLock(lock: Lock): Promise<boolean> {
  const expired = Date.now() > lock.expiration;
  try {
    await lock.release();
  } catch {
    return false;
  }
  return !expired;
}

/**
 * Runs `work` under the seat's lease: a busy seat is rejected at once, the lease is released by
 * its owner only, and an outcome reached after the lease ran out is flagged `lockExpired`.
 */
export async function underSeatLock(
  redlock: Redlock,
  seat: SeatRef,
  ttlMs: number,
  work: () => Promise<ReservationOutcome>,
): Promise<ReservationOutcome> {
  const lock = await tryLockSeat(redlock, seat, ttlMs);
  if (!lock) return { status: 'rejected', reason: 'lock_not_acquired', attempts: 1, retries: 0, contended: true };
  let outcome: ReservationOutcome;
  try {
    outcome = await work();
  } catch (err) {
    await releaseSeatLock(lock);
    throw err;
  }
  const stillOurs = await releaseSeatLock(lock);
  return stillOurs ? outcome : { ...outcome, lockExpired: true };
}

async function heldByAnother(err: ExecutionError): Promise<boolean> {
  const stats = await Promise.all(err.attempts);
  return stats.some((s) => [...s.votesAgainst.values()].some((e) => e instanceof ResourceLockedError));
}
