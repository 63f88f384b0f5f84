import { Injectable } from '@nestjs/common';
import { LabDatabase } from '../../../platform/database/lab-database';
import type { SeatRef } from '../strategies/seat-locking.port';

/** `booking.bookings.status`: one row per attempt, with no uniqueness on the seat (see the migration). */
export type BookingAttemptStatus = 'confirmed' | 'failed' | 'double_booked';

export interface AttemptRecord {
  seat: SeatRef;
  customerId: string;
  strategy: string;
  durationMs: number;
}

export interface StatusCounts {
  confirmed: number;
  failed: number;
  double_booked: number;
  total: number;
}

export interface StrategyStats extends StatusCounts {
  locking_strategy: string;
  p50_ms: number | null;
  p99_ms: number | null;
}

export interface DoubleBooking {
  seat_number: string;
  event_id: number;
  booking_count: number;
  customers: string[];
}

/** The attempt log (`booking.bookings`) and what the admin API reads from it. */
@Injectable()
export class BookingRepository {
  constructor(private readonly db: LabDatabase) {}

  async recordFailure(attempt: AttemptRecord, reason: string): Promise<void> {
    await this.db.execute(
      `INSERT INTO booking.bookings (event_id, seat_id, customer_id, status, reason, locking_strategy, duration_ms)
       VALUES ($1, $2, $3, 'failed', $4, $5, $6)`,
      [attempt.seat.eventId, attempt.seat.id, attempt.customerId, reason, attempt.strategy, attempt.durationMs],
    );
  }

  /**
   * Records a write that went through. The recorder is the referee, not a lock: the seat was
   * already written. `booking.record_success` (migration 1763780000001) counts the seat's earlier
   * successful bookings under a per-seat advisory lock, so the first is stored `confirmed` and
   * every later one `double_booked`, exactly and in order, whatever the strategy did.
   */
  async recordSuccess(attempt: AttemptRecord): Promise<{ status: BookingAttemptStatus; bookingCount: number }> {
    const [row] = await this.db.query<{ recorded_status: BookingAttemptStatus; seat_booking_count: number }>(
      `SELECT recorded_status, seat_booking_count FROM booking.record_success($1, $2, $3, $4, $5)`,
      [attempt.seat.eventId, attempt.seat.id, attempt.customerId, attempt.strategy, attempt.durationMs],
    );
    return { status: row.recorded_status, bookingCount: row.seat_booking_count };
  }

  /** Seats held by more than one successful booking (all events, as the seed; or one event). */
  doubleBookings(eventId?: number): Promise<DoubleBooking[]> {
    return this.db.query<DoubleBooking>(
      `SELECT s.seat_number, b.event_id, count(*)::int AS booking_count,
              array_agg(b.customer_id ORDER BY b.id) AS customers
         FROM booking.bookings b
         JOIN booking.seats s ON s.id = b.seat_id
        WHERE b.status IN ('confirmed', 'double_booked')
          AND ($1::int IS NULL OR b.event_id = $1)
        GROUP BY s.id, s.seat_number, b.event_id
       HAVING count(*) > 1
        ORDER BY b.event_id, s.id`,
      [eventId ?? null],
    );
  }

  async totals(eventId?: number): Promise<StatusCounts> {
    const [row] = await this.db.query<StatusCounts>(
      `SELECT ${COUNTS} FROM booking.bookings WHERE ($1::int IS NULL OR event_id = $1)`,
      [eventId ?? null],
    );
    return row;
  }

  /** Per strategy, with nearest-rank latency percentiles (percentile_disc) of the recorded attempts. */
  byStrategy(eventId?: number): Promise<StrategyStats[]> {
    return this.db.query<StrategyStats>(
      `SELECT locking_strategy, ${COUNTS},
              round((percentile_disc(0.5) WITHIN GROUP (ORDER BY duration_ms))::numeric, 1)::float8 AS p50_ms,
              round((percentile_disc(0.99) WITHIN GROUP (ORDER BY duration_ms))::numeric, 1)::float8 AS p99_ms
         FROM booking.bookings
        WHERE ($1::int IS NULL OR event_id = $1)
        GROUP BY locking_strategy
        ORDER BY locking_strategy`,
      [eventId ?? null],
    );
  }
}

const COUNTS = `
  (count(*) FILTER (WHERE status = 'confirmed'))::int AS confirmed,
  (count(*) FILTER (WHERE status = 'failed'))::int AS failed,
  (count(*) FILTER (WHERE status = 'double_booked'))::int AS double_booked,
  count(*)::int AS total`;
