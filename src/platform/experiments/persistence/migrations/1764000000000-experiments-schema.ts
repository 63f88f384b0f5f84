import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The experiments platform's own schema: one row per experiment and its history, one row per
 * operation (invoke, ok, fail, info), written as the run goes so a crash loses no recorded op.
 */
export class ExperimentsSchema1764000000000 implements MigrationInterface {
  name = 'ExperimentsSchema1764000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE SCHEMA IF NOT EXISTS experiments`);
    await db.query(`
      CREATE TABLE experiments.experiments (
        id           uuid        PRIMARY KEY,
        lab          varchar(32) NOT NULL,
        strategy     varchar(64) NOT NULL,
        workload     varchar(64) NOT NULL,
        nemesis      jsonb       NOT NULL,
        schedule     jsonb       NOT NULL,
        seed         bigint      NOT NULL,
        params       jsonb       NOT NULL,
        setup        jsonb,
        status       varchar(16) NOT NULL CHECK (status IN ('running', 'valid', 'invalid', 'unknown', 'aborted')),
        progress     real        NOT NULL DEFAULT 0,
        planned_ops  integer     NOT NULL DEFAULT 0,
        ops_recorded integer     NOT NULL DEFAULT 0,
        verdict      jsonb,
        reason       text,
        owner        varchar(64),
        heartbeat_at timestamptz NOT NULL DEFAULT now(),
        created_at   timestamptz NOT NULL DEFAULT now(),
        finished_at  timestamptz
      )`);
    await db.query(`CREATE INDEX experiments_created_idx ON experiments.experiments (created_at DESC)`);
    await db.query(`CREATE INDEX experiments_running_idx ON experiments.experiments (status) WHERE status = 'running'`);
    await db.query(`
      CREATE TABLE experiments.ops (
        experiment_id uuid        NOT NULL REFERENCES experiments.experiments (id) ON DELETE CASCADE,
        idx           integer     NOT NULL,
        type          varchar(8)  NOT NULL CHECK (type IN ('invoke', 'ok', 'fail', 'info')),
        process       varchar(16) NOT NULL,
        f             varchar(64) NOT NULL,
        value         jsonb,
        node          varchar(64),
        time_ns       bigint      NOT NULL,
        error         text,
        PRIMARY KEY (experiment_id, idx)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP SCHEMA experiments CASCADE`);
  }
}
