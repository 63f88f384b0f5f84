import { Injectable } from '@nestjs/common';
import { LabDatabase } from '../../../platform/database/lab-database';
import { SEED_EVENT_ID } from '../booking.config';
import type { SeatRef } from '../strategies/seat-locking.port';

/** `booking.events`: a show with a fixed seat map. */
export interface BookingEvent {
  id: number;
  name: string;
  venue: string;
  eventDate: Date;
  totalSeats: number;
  createdAt: Date;
}

/** A row of `booking.seats`. */
export interface Seat {
  seatNumber: string;
  section: string;
  rowName: string;
  isBooked: boolean;
  bookedBy: string | null;
}

export interface SeatAvailability {
  total: number;
  available: number;
  booked: number;
}

/** Events and their seat maps: lookups for the API and the reset of an event. */
@Injectable()
export class EventRepository {
  constructor(private readonly db: LabDatabase) {}

  async findEvent(eventId: number): Promise<BookingEvent | null> {
    const [row] = await this.db.query<BookingEvent>(
      `SELECT id, name, venue, event_date AS "eventDate", total_seats AS "totalSeats", created_at AS "createdAt"
         FROM booking.events WHERE id = $1`,
      [eventId],
    );
    return row ?? null;
  }

  async findSeatRef(eventId: number, seatNumber: string): Promise<SeatRef | null> {
    const [row] = await this.db.query<{ id: number }>(
      `SELECT id FROM booking.seats WHERE event_id = $1 AND seat_number = $2`,
      [eventId, seatNumber],
    );
    return row ? { id: row.id, eventId, seatNumber } : null;
  }

  /** Seats in natural order (A1, A2 ... A10, B1 ...), not the seed's text order. */
  listSeats(eventId: number, availableOnly: boolean): Promise<Seat[]> {
    return this.db.query<Seat>(
      `SELECT seat_number AS "seatNumber", section, row_name AS "rowName", is_booked AS "isBooked", booked_by AS "bookedBy"
         FROM booking.seats
        WHERE event_id = $1 AND (NOT $2::boolean OR NOT is_booked)
        ORDER BY row_name, length(seat_number), seat_number`,
      [eventId, availableOnly],
    );
  }

  async availability(eventId: number): Promise<SeatAvailability> {
    const [row] = await this.db.query<{ total: number; available: number }>(
      `SELECT count(*)::int AS total, (count(*) FILTER (WHERE NOT is_booked))::int AS available
         FROM booking.seats WHERE event_id = $1`,
      [eventId],
    );
    return { total: row.total, available: row.available, booked: row.total - row.available };
  }

  async availableByEvent(): Promise<Array<{ eventId: number; available: number }>> {
    const rows = await this.db.query<{ event_id: number; available: number }>(
      `SELECT event_id, (count(*) FILTER (WHERE NOT is_booked))::int AS available
         FROM booking.seats GROUP BY event_id`,
    );
    return rows.map((r) => ({ eventId: r.event_id, available: r.available }));
  }

  /**
   * Frees every seat of the event and deletes its booking attempts; the seed event is restored
   * to exactly what the migration created. Returns false when the event does not exist.
   */
  async reset(eventId: number): Promise<boolean> {
    return this.db.transaction('READ COMMITTED', async (tx) => {
      if (eventId === SEED_EVENT_ID) {
        await tx.query(`SELECT booking.restore_seed_event()`);
        return true;
      }
      const [exists] = await tx.query(`SELECT 1 FROM booking.events WHERE id = $1`, [eventId]);
      if (!exists) return false;
      await tx.execute(`DELETE FROM booking.bookings WHERE event_id = $1`, [eventId]);
      await tx.execute(
        `UPDATE booking.seats
            SET is_booked = FALSE, booked_by = NULL, booked_at = NULL, version = 0, fence_token = 0
          WHERE event_id = $1`,
        [eventId],
      );
      return true;
    });
  }
}
