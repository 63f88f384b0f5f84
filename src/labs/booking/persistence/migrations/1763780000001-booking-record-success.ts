import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The referee of successful writes as one round trip: under a per-seat advisory lock it counts
 * the seat's earlier successful bookings and stores this one `confirmed` (the first) or
 * `double_booked` (any later one). In READ COMMITTED each statement of a VOLATILE plpgsql function
 * takes a fresh snapshot, so the count after the lock sees every booking recorded before it.
 */
export class BookingRecordSuccess1763780000001 implements MigrationInterface {
  name = 'BookingRecordSuccess1763780000001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION booking.record_success(
        p_event_id INTEGER, p_seat_id INTEGER, p_customer_id VARCHAR, p_strategy VARCHAR, p_duration_ms DOUBLE PRECISION
      ) RETURNS TABLE (recorded_status VARCHAR, seat_booking_count INTEGER)
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        earlier INTEGER;
      BEGIN
        PERFORM pg_advisory_xact_lock(36, p_seat_id);
        SELECT count(*) INTO earlier FROM booking.bookings b
         WHERE b.seat_id = p_seat_id AND b.status IN ('confirmed', 'double_booked');
        recorded_status := CASE WHEN earlier = 0 THEN 'confirmed' ELSE 'double_booked' END;
        seat_booking_count := earlier + 1;
        INSERT INTO booking.bookings (event_id, seat_id, customer_id, status, locking_strategy, duration_ms)
        VALUES (p_event_id, p_seat_id, p_customer_id, recorded_status, p_strategy, p_duration_ms);
        RETURN NEXT;
      END
      $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP FUNCTION booking.record_success(INTEGER, INTEGER, VARCHAR, VARCHAR, DOUBLE PRECISION)`);
  }
}
