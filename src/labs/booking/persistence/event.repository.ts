import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SEED_EVENT_ID } from '../booking.config';
import type { SeatRef } from '../strategies/seat-locking.port';
import { BookingEventEntity } from './booking-event.entity';
import { SeatEntity } from './seat.entity';

export interface SeatAvailability {
  total: number;
  available: number;
  booked: number;
}

/** Events and their seat maps: lookups for the API and the reset of an event. */
@Injectable()
export class EventRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  findEvent(eventId: number): Promise<BookingEventEntity | null> {
    return this.db.getRepository(BookingEventEntity).findOneBy({ id: eventId });
  }

  async findSeatRef(eventId: number, seatNumber: string): Promise<SeatRef | null> {
    const [row] = (await this.db.query(
      `SELECT id FROM booking.seats WHERE event_id = $1 AND seat_number = $2`,
      [eventId, seatNumber],
    )) as Array<{ id: number }>;
    return row ? { id: row.id, eventId, seatNumber } : null;
  }

  /** Seats in natural order (A1, A2 ... A10, B1 ...), not the seed's text order. */
  listSeats(eventId: number, availableOnly: boolean): Promise<SeatEntity[]> {
    return this.db
      .getRepository(SeatEntity)
      .createQueryBuilder('seat')
      .where('seat.eventId = :eventId', { eventId })
      .andWhere(availableOnly ? 'seat.isBooked = FALSE' : 'TRUE')
      .orderBy('seat.rowName')
      .addOrderBy('length(seat.seatNumber)')
      .addOrderBy('seat.seatNumber')
      .getMany();
  }

  async availability(eventId: number): Promise<SeatAvailability> {
    const [row] = (await this.db.query(
      `SELECT count(*)::int AS total, (count(*) FILTER (WHERE NOT is_booked))::int AS available
         FROM booking.seats WHERE event_id = $1`,
      [eventId],
    )) as Array<{ total: number; available: number }>;
    return { total: row.total, available: row.available, booked: row.total - row.available };
  }

  async availableByEvent(): Promise<Array<{ eventId: number; available: number }>> {
    const rows = (await this.db.query(
      `SELECT event_id, (count(*) FILTER (WHERE NOT is_booked))::int AS available
         FROM booking.seats GROUP BY event_id`,
    )) as Array<{ event_id: number; available: number }>;
    return rows.map((r) => ({ eventId: r.event_id, available: r.available }));
  }

  /**
   * Frees every seat of the event and deletes its booking attempts; the seed event is restored
   * to exactly what the migration created. Returns false when the event does not exist.
   */
  async reset(eventId: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      if (eventId === SEED_EVENT_ID) {
        await tx.query(`SELECT booking.restore_seed_event()`);
        return true;
      }
      const [exists] = (await tx.query(`SELECT 1 FROM booking.events WHERE id = $1`, [eventId])) as unknown[];
      if (!exists) return false;
      await tx.query(`DELETE FROM booking.bookings WHERE event_id = $1`, [eventId]);
      await tx.query(
        `UPDATE booking.seats
            SET is_booked = FALSE, booked_by = NULL, booked_at = NULL, version = 0, fence_token = 0
          WHERE event_id = $1`,
        [eventId],
      );
      return true;
    });
  }
}
