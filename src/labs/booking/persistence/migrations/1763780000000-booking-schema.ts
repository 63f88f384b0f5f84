import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The booking lab's schema (the seed's tables, docs/seed-contracts.md) plus what the fixes need: `fence_token` on seats, a
 * fencing-token sequence, and `reason` / `duration_ms` on every attempt. `bookings` deliberately
 * has no uniqueness on the seat, so a double booking can be stored and shown.
 * `booking.restore_seed_event()` is the single definition of the seed event (A6); the migration
 * calls it once and `POST /admin/reset?event_id=1` calls it again.
 */
export class BookingSchema1763780000000 implements MigrationInterface {
  name = 'BookingSchema1763780000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE SCHEMA IF NOT EXISTS booking`);
    await db.query(`
      CREATE TABLE booking.events (
        id          SERIAL PRIMARY KEY,
        name        VARCHAR(255) NOT NULL,
        venue       VARCHAR(255) NOT NULL,
        event_date  TIMESTAMP NOT NULL,
        total_seats INTEGER NOT NULL,
        created_at  TIMESTAMP NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE booking.seats (
        id          SERIAL PRIMARY KEY,
        event_id    INTEGER NOT NULL REFERENCES booking.events(id),
        seat_number VARCHAR(10) NOT NULL,
        section     VARCHAR(50) NOT NULL,
        row_name    VARCHAR(10) NOT NULL,
        is_booked   BOOLEAN NOT NULL DEFAULT FALSE,
        booked_by   VARCHAR(255),
        booked_at   TIMESTAMP,
        version     INTEGER NOT NULL DEFAULT 0,
        fence_token BIGINT NOT NULL DEFAULT 0,
        CONSTRAINT seats_event_seat_unique UNIQUE (event_id, seat_number)
      )`);
    await db.query(`CREATE INDEX idx_seats_event_booked ON booking.seats (event_id, is_booked)`);
    await db.query(`
      CREATE TABLE booking.bookings (
        id               SERIAL PRIMARY KEY,
        event_id         INTEGER NOT NULL REFERENCES booking.events(id),
        seat_id          INTEGER NOT NULL REFERENCES booking.seats(id),
        customer_id      VARCHAR(255) NOT NULL,
        status           VARCHAR(20) NOT NULL CHECK (status IN ('confirmed', 'failed', 'double_booked')),
        reason           VARCHAR(32),
        locking_strategy VARCHAR(20) NOT NULL,
        duration_ms      DOUBLE PRECISION NOT NULL,
        created_at       TIMESTAMP NOT NULL DEFAULT now()
      )`);
    await db.query(
      `COMMENT ON TABLE booking.bookings IS 'One row per booking attempt. No unique constraint on seat_id on purpose: a double booking must be storable to be shown.'`,
    );
    await db.query(`CREATE INDEX idx_bookings_event ON booking.bookings (event_id)`);
    await db.query(`CREATE INDEX idx_bookings_seat_status ON booking.bookings (seat_id, status)`);
    await db.query(`CREATE SEQUENCE booking.fencing_tokens AS BIGINT`);
    await db.query(`
      CREATE FUNCTION booking.restore_seed_event() RETURNS void LANGUAGE sql AS $$
        INSERT INTO booking.events (id, name, venue, event_date, total_seats)
        VALUES (1, 'Rock Festival 2024', 'Madison Square Garden', '2024-12-31 20:00:00', 100)
        ON CONFLICT (id) DO UPDATE
          SET name = EXCLUDED.name, venue = EXCLUDED.venue,
              event_date = EXCLUDED.event_date, total_seats = EXCLUDED.total_seats;
        SELECT setval('booking.events_id_seq', GREATEST((SELECT max(id) FROM booking.events), 1));
        DELETE FROM booking.bookings WHERE event_id = 1;
        INSERT INTO booking.seats (event_id, seat_number, section, row_name)
        SELECT 1,
               chr(65 + n / 10) || (n % 10 + 1),
               CASE WHEN n < 30 THEN 'VIP' WHEN n < 70 THEN 'Standard' ELSE 'Economy' END,
               chr(65 + n / 10)
        FROM generate_series(0, 99) AS n
        ON CONFLICT (event_id, seat_number) DO UPDATE
          SET section = EXCLUDED.section, row_name = EXCLUDED.row_name,
              is_booked = FALSE, booked_by = NULL, booked_at = NULL, version = 0, fence_token = 0;
      $$`);
    await db.query(`SELECT booking.restore_seed_event()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP SCHEMA booking CASCADE`);
  }
}
