import { Client } from 'pg';
import type { RunningApp } from '../../src/bootstrap';
import { BankClient } from '../bank/bank-helpers';
import { nodeUrl, startApp } from '../utils/app';
import { eventually } from '../utils/concurrency';

const REQUEST_TIMEOUT_MS = 2000;

/**
 * A request's 504 (REQUEST_TIMEOUT_MS) cancels its database work: the statement in flight stops in
 * PostgreSQL, the open transaction rolls back and its locks go — nothing commits behind the 504.
 * The bank lab is the vehicle: its safe strategy locks both rows, then runs the delay knob inside the locks.
 */
describe('a request answered 504 leaves no database work behind', () => {
  let app: RunningApp;
  let bank: BankClient;
  let pg: Client;

  /** Backends of the bank's pool that are waiting on a lock or still inside a transaction. */
  async function bankBackends(): Promise<{ waiting: number; inTransaction: number }> {
    const { rows } = await pg.query<{ waiting: string; in_tx: string }>(
      `SELECT count(*) FILTER (WHERE wait_event_type = 'Lock') AS waiting,
              count(*) FILTER (WHERE xact_start IS NOT NULL) AS in_tx
         FROM pg_stat_activity WHERE application_name = 'labs-bank' AND datname = current_database()`,
    );
    return { waiting: Number(rows[0].waiting), inTransaction: Number(rows[0].in_tx) };
  }

  beforeAll(async () => {
    app = await startApp({ LABS: 'bank', REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) });
    bank = new BankClient(nodeUrl(app, 'bank', 'bank'));
    pg = new Client({
      connectionString: process.env.DATABASE_URL,
      application_name: 'request-abort-e2e',
      statement_timeout: 10_000,
    });
    await pg.connect();
  });
  afterAll(async () => {
    await pg?.query('ROLLBACK').catch(() => undefined);
    await pg?.end();
    await bank?.fresh();
    await app?.close();
  });
  beforeEach(async () => {
    await bank.fresh();
    await bank.settings({ transfer_strategy: 'safe' });
  });

  it('a transfer waiting on a row lock: cancelled at the 504, and it does not go through once the lock is free', async () => {
    const before = await bank.balances();
    await pg.query('BEGIN');
    await pg.query("SELECT id FROM bank.accounts WHERE id = 'alice' FOR UPDATE");
    const transfer = await bank.transfer('alice', 'bob', 100);
    expect(transfer.status).toBe(504);
    // The lock wait ends in PostgreSQL too (lock_timeout alone would keep it 130 s).
    await eventually(bankBackends, (b) => b.waiting === 0, { timeoutMs: 5000, intervalMs: 100 });
    await pg.query('ROLLBACK');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await bank.balances()).toEqual(before);
  });

  it('the delay knob beyond the budget: the transaction rolls back at the 504, its locks free at once, nothing commits after', async () => {
    const before = await bank.balances();
    await bank.settings({ delay_enabled: true, delay_ms: 4000 });
    const started = Date.now();
    const transfer = await bank.transfer('alice', 'bob', 100);
    expect(transfer.status).toBe(504);
    // The rows are free well before the delay would have ended (at ~4 s).
    await eventually(
      () =>
        pg.query("SELECT id FROM bank.accounts WHERE id IN ('alice', 'bob') FOR UPDATE NOWAIT").then(
          () => true,
          () => false,
        ),
      (free) => free,
      { timeoutMs: 1500, intervalMs: 50 },
    );
    expect(Date.now() - started).toBeLessThan(4000);
    expect((await bankBackends()).inTransaction).toBe(0);
    // Past the end of the delay: the transfer never committed.
    await new Promise((r) => setTimeout(r, 4500 - (Date.now() - started)));
    expect(await bank.balances()).toEqual(before);
  });

  it('the delay knob within the budget still works: the transfer waits and commits', async () => {
    const before = await bank.balances();
    await bank.settings({ delay_enabled: true, delay_ms: 500 });
    const transfer = await bank.transfer('alice', 'bob', 100);
    expect(transfer.status).toBe(200);
    expect((await bank.balances()).alice).toBe(before.alice - 100);
  });
});
