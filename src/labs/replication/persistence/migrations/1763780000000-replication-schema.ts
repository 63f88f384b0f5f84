import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The replication lab's schema: the primary's head (current epoch and LSN), its ordered log and
 * its data; and each replica's own applied position and data, so a restarted replica resumes
 * from where it was instead of from zero.
 */
export class ReplicationSchema1763780000000 implements MigrationInterface {
  name = 'ReplicationSchema1763780000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS replication`);
    await q.query(`
      CREATE TABLE replication.primary_head (
        id smallint PRIMARY KEY CHECK (id = 1),
        epoch integer NOT NULL,
        version bigint NOT NULL,
        write_id text,
        write_timestamp double precision
      )`);
    await q.query(`INSERT INTO replication.primary_head (id, epoch, version) VALUES (1, 1, 0)`);
    await q.query(`
      CREATE TABLE replication.log (
        epoch integer NOT NULL,
        lsn bigint NOT NULL,
        key text NOT NULL,
        value jsonb NOT NULL,
        write_id text NOT NULL,
        write_timestamp double precision NOT NULL,
        PRIMARY KEY (epoch, lsn)
      )`);
    await q.query(`
      CREATE TABLE replication.primary_data (
        key text PRIMARY KEY,
        value jsonb NOT NULL,
        version bigint NOT NULL
      )`);
    await q.query(`
      CREATE TABLE replication.replica_state (
        replica text PRIMARY KEY,
        epoch integer NOT NULL,
        version bigint NOT NULL,
        write_id text,
        write_timestamp double precision,
        replicated_at double precision
      )`);
    await q.query(
      `INSERT INTO replication.replica_state (replica, epoch, version) VALUES ('replica1', 1, 0), ('replica2', 1, 0)`,
    );
    await q.query(`
      CREATE TABLE replication.replica_data (
        replica text NOT NULL,
        key text NOT NULL,
        value jsonb NOT NULL,
        version bigint NOT NULL,
        PRIMARY KEY (replica, key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA IF EXISTS replication CASCADE`);
  }
}
