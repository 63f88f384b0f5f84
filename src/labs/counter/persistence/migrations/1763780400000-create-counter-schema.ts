import { MigrationInterface, QueryRunner } from 'typeorm';

/** The strong counter's table: one row per counter name, incremented under a row lock. */
export class CreateCounterSchema1763780400000 implements MigrationInterface {
  name = 'CreateCounterSchema1763780400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS counter`);
    await q.query(`
      CREATE TABLE counter.strong_counters (
        name varchar(128) PRIMARY KEY,
        value bigint NOT NULL DEFAULT 0 CHECK (value >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO counter.strong_counters (name, value) VALUES ('views', 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE counter.strong_counters`);
    await q.query(`DROP SCHEMA counter`);
  }
}
