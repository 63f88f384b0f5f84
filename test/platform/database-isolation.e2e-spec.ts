import type { RunningApp } from '../../src/bootstrap';
import { DatabasePools } from '../../src/platform/database/database-pools.service';
import { BankClient } from '../bank/bank-helpers';
import { nodeUrl, startApp } from '../utils/app';
import { eventually, runConcurrently } from '../utils/concurrency';
import { get, post } from '../utils/http';

/**
 * Each lab has its own bounded pool: a bank fault that holds every bank connection delays the
 * bank only; booking, in the same process on the same PostgreSQL, keeps answering. And every
 * connection carries statement_timeout, lock_timeout and idle_in_transaction_session_timeout.
 */
describe('database: a pool per lab, PostgreSQL timeouts on every connection', () => {
  describe('resource isolation (DB_POOL_SIZE=4, LABS=bank,booking)', () => {
    const POOL = 4;
    const HOLD_MS = 3000;
    let app: RunningApp;
    let bank: BankClient;
    let booking: string;
    let pools: DatabasePools;

    beforeAll(async () => {
      app = await startApp({ LABS: 'bank,booking', DB_POOL_SIZE: String(POOL) });
      bank = new BankClient(nodeUrl(app, 'bank', 'bank'));
      booking = nodeUrl(app, 'booking', 'booking');
      pools = app.app.get(DatabasePools);
      await bank.fresh();
      expect((await post(`${booking}/admin/reset?event_id=1`)).status).toBe(200);
    });
    afterAll(async () => {
      await bank.fresh().catch(() => undefined);
      await app.close();
    });

    it('a bank fault holding all of its connections delays only the bank: booking answers meanwhile', async () => {
      // The vulnerable strategy holds its pinned connection across the debug delay.
      await bank.settings({ transfer_strategy: 'vulnerable', delay_enabled: true, delay_ms: HOLD_MS });
      const done: number[] = [];
      const transfers = runConcurrently(2 * POOL, async () => {
        const res = await bank.transfer('alice', 'bob', 1);
        done.push(Date.now());
        return res;
      });

      // Every bank connection is taken and more transfers queue for one.
      await eventually(
        async () => pools.forLab('bank').stats(),
        (s) => s.total === POOL && s.idle === 0 && s.waiting > 0,
        {
          timeoutMs: 3 * HOLD_MS,
          intervalMs: 20,
        },
      );
      const ownRead = get(`${bank.base}/accounts`).then((res) => ({ res, at: Date.now() }));

      const bookingStarted = Date.now();
      const event = await get(`${booking}/events/1`);
      const booked = await post(`${booking}/book`, { event_id: 1, seat_number: 'A1', customer_id: 'isolation' });
      const bookingAnsweredAt = Date.now();
      expect(event.status).toBe(200);
      expect(booked.status).toBe(200);
      expect(booked.body.status).toBe('confirmed');
      // Booking answered while the bank pool was still full: no bank transfer had finished yet.
      expect(done).toHaveLength(0);
      expect(pools.forLab('bank').stats().waiting).toBeGreaterThan(0);

      // The bank's own read queued behind the transfers: it got a connection only after one of them
      // finished, or gave up after DB_CONNECT_TIMEOUT_MS with 503 DATABASE.BUSY.
      const { res, at } = await ownRead;
      if (res.status === 200) expect(at).toBeGreaterThanOrEqual(Math.min(...done));
      else expect(res.body).toMatchObject({ statusCode: 503, code: 'DATABASE.BUSY' });
      expect(at).toBeGreaterThan(bookingAnsweredAt);

      const results = await transfers;
      process.stdout.write(
        `isolation: booking answered in ${bookingAnsweredAt - bookingStarted} ms while the bank pool was full; ` +
          `the bank's own read answered ${res.status} after ${at - bookingStarted} ms; first transfer done after ${Math.min(...done) - bookingStarted} ms\n`,
      );
      for (const r of results) expect([200, 503]).toContain(r.status);
      expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(POOL);
    }, 60_000);

    it('never opens more than DB_POOL_SIZE connections for a lab', async () => {
      const rows = await pools
        .forLab('booking')
        .query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'labs-bank' AND datname = current_database()`,
        );
      expect(rows[0].n).toBeLessThanOrEqual(POOL);
    });
  });

  describe('timeouts on every connection (short values, LABS=bank)', () => {
    let app: RunningApp;
    let bank: BankClient;
    let pools: DatabasePools;

    beforeAll(async () => {
      app = await startApp({
        LABS: 'bank',
        DB_STATEMENT_TIMEOUT_MS: '1000',
        DB_LOCK_TIMEOUT_MS: '500',
        DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '1500',
      });
      bank = new BankClient(nodeUrl(app, 'bank', 'bank'));
      pools = app.app.get(DatabasePools);
      await bank.fresh();
    });
    afterAll(async () => {
      await bank.fresh().catch(() => undefined);
      await app.close();
    });

    it('sets statement_timeout, lock_timeout and idle_in_transaction_session_timeout on the lab connections', async () => {
      const [row] = await pools.forLab('bank').query<Record<string, string>>(
        `SELECT current_setting('statement_timeout') AS statement, current_setting('lock_timeout') AS lock,
                current_setting('idle_in_transaction_session_timeout') AS idle`,
      );
      expect(row).toEqual({ statement: '1s', lock: '500ms', idle: '1500ms' });
    });

    it('a transaction idle beyond the limit is ended by PostgreSQL: 504 DATABASE.TIMEOUT, nothing half-applied', async () => {
      const before = await bank.balances();
      await bank.settings({ transfer_strategy: 'safe', delay_enabled: true, delay_ms: 2500 });
      const res = await bank.transfer('alice', 'bob', 10);
      expect(res.status).toBe(504);
      expect(res.body).toMatchObject({ statusCode: 504, code: 'DATABASE.TIMEOUT', details: { sql_state: '25P03' } });
      expect(await bank.balances()).toEqual(before);
    });

    it('a lock held beyond lock_timeout makes the waiter give up: 503 DATABASE.LOCK_TIMEOUT, the holder commits', async () => {
      await bank.settings({ transfer_strategy: 'safe', delay_enabled: true, delay_ms: 1200 });
      const [first, second] = await runConcurrently(2, () => bank.transfer('alice', 'bob', 10));
      const statuses = [first.status, second.status].sort();
      expect(statuses).toEqual([200, 503]);
      const refused = first.status === 503 ? first : second;
      expect(refused.body).toMatchObject({ code: 'DATABASE.LOCK_TIMEOUT', details: { sql_state: '55P03' } });
      const balances = await bank.balances();
      expect(balances.alice + balances.bob).toBe(1500);
      expect(balances.alice).toBe(990);
    });

    it('the lab works normally afterwards', async () => {
      await bank.settings({ delay_enabled: false });
      expect((await bank.transfer('alice', 'bob', 1)).status).toBe(200);
    });
  });
});
