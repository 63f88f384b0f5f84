import type { BookingSettings } from '../booking.config';

/** The seat a request wants, already known to exist. */
export interface SeatRef {
  id: number;
  eventId: number;
  seatNumber: string;
}

export interface ReservationContext {
  readonly settings: BookingSettings;
  /**
   * The gap between reading the seat and writing it (`race_window_ms`, 50 ms by default, as in the
   * seed), plus the pause-the-holder fault when it is armed. Every strategy calls it at that point.
   */
  raceWindow(): Promise<void>;
}

export type RejectionReason = 'lock_not_acquired' | 'retries_exhausted' | 'stale_token';

/** What the strategy saw on the way; the use case turns it into metrics and span attributes. */
export interface ReservationFacts {
  attempts: number;
  /** Optimistic version conflicts that led to another attempt. */
  retries: number;
  /** Lost to a concurrent holder (waited on the row lock and found the seat taken, lock busy, retries used up). */
  contended: boolean;
  fencingToken?: number;
  /** The Redis lock had expired by the time its holder released it: someone else may have held it meanwhile. */
  lockExpired?: boolean;
}

/** Expected races are outcomes, not exceptions. */
export type ReservationOutcome = ReservationFacts &
  (
    | { status: 'reserved' }
    | { status: 'already_booked'; bookedBy: string | null }
    | { status: 'rejected'; reason: RejectionReason }
  );

/** The port: how a request turns "I want this seat" into a write that should happen at most once. */
export abstract class SeatLockingPort {
  abstract reserve(seat: SeatRef, customerId: string, context: ReservationContext): Promise<ReservationOutcome>;
}

export const SeatLockingKey = {
  None: 'none',
  Pessimistic: 'pessimistic',
  Optimistic: 'optimistic',
  Distributed: 'distributed',
  Fenced: 'fenced',
  Local: 'local',
} as const;
export type SeatLockingKey = (typeof SeatLockingKey)[keyof typeof SeatLockingKey];
