import { MigrationInterface, QueryRunner } from 'typeorm';

/** The bank schema: accounts with exact NUMERIC money and the transaction log; seeds alice, bob and charlie. */
export class BankSchema1763780000000 implements MigrationInterface {
  name = 'BankSchema1763780000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE SCHEMA IF NOT EXISTS bank`);
    await db.query(`
      CREATE TABLE bank.accounts (
        id              varchar(64)    PRIMARY KEY,
        balance         numeric(18, 2) NOT NULL,
        opening_balance numeric(18, 2) NOT NULL
      )`);
    await db.query(`
      INSERT INTO bank.accounts (id, balance, opening_balance) VALUES
        ('alice', 1000.00, 1000.00),
        ('bob', 500.00, 500.00),
        ('charlie', 200.00, 200.00)`);
    await db.query(`
      CREATE TABLE bank.transfers (
        seq                 bigserial      PRIMARY KEY,
        id                  varchar(16)    NOT NULL,
        created_at          timestamptz    NOT NULL,
        from_account        varchar(64)    NOT NULL REFERENCES bank.accounts (id),
        to_account          varchar(64)    NOT NULL REFERENCES bank.accounts (id),
        amount              numeric(18, 2) NOT NULL CHECK (amount > 0),
        from_balance_before numeric(18, 2) NOT NULL,
        from_balance_after  numeric(18, 2) NOT NULL,
        to_balance_before   numeric(18, 2) NOT NULL,
        to_balance_after    numeric(18, 2) NOT NULL,
        status              varchar(32)    NOT NULL,
        strategy            varchar(32)    NOT NULL,
        attempts            integer        NOT NULL DEFAULT 1,
        thread_id           varchar(64)    NOT NULL,
        duration_ms         double precision NOT NULL
      )`);
    await db.query(`CREATE INDEX transfers_id_idx ON bank.transfers (id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP SCHEMA bank CASCADE`);
  }
}
