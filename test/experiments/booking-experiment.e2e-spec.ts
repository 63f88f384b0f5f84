import type { RunningApp } from '../../src/bootstrap';
import type { HistoryOp } from '../../src/platform/experiments/experiment.contract';
import { startApp } from '../utils/app';
import { get } from '../utils/http';
import { ExperimentClient, invokedPlan, withDatabase } from './experiment-client';

const SEED = 20261201;

describe('booking experiment (LABS=booking, real PostgreSQL and Redis)', () => {
  let app: RunningApp;
  let experiments: ExperimentClient;

  beforeAll(async () => {
    app = await startApp({ LABS: 'booking' });
    experiments = new ExperimentClient(app.url);
  });
  afterAll(() => app.close());

  /** Every confirming op of a double booking is a real row of booking.bookings for that seat and customer. */
  async function expectRealDoubleBooking(history: HistoryOp[], ops: number[]): Promise<void> {
    const confirmations = ops.map((i) => history[i]);
    for (const op of confirmations) expect(op).toMatchObject({ type: 'ok', f: 'book' });
    const seat = (confirmations[0].value as { seat: string }).seat;
    await withDatabase(app.config.env.DATABASE_URL, async (db) => {
      for (const op of confirmations) {
        const { customer } = op.value as { seat: string; customer: string };
        const rows = await db.query(
          `SELECT b.status FROM booking.bookings b JOIN booking.seats s ON s.id = b.seat_id
            WHERE s.event_id = 1 AND s.seat_number = $1 AND b.customer_id = $2`,
          [seat, customer],
        );
        expect(rows.rows.map((r: { status: string }) => r.status)).toEqual([
          expect.stringMatching(/^(confirmed|double_booked)$/),
        ]);
      }
      const successes = await db.query(
        `SELECT count(*)::int AS n FROM booking.bookings b JOIN booking.seats s ON s.id = b.seat_id
          WHERE s.event_id = 1 AND s.seat_number = $1 AND b.status IN ('confirmed', 'double_booked')`,
        [seat],
      );
      expect(successes.rows[0].n).toBeGreaterThanOrEqual(2);
    });
  }

  it('none under no fault is invalid: a seat confirmed to two customers, both bookings real in PostgreSQL', async () => {
    const doc = await experiments.run({ lab: 'booking', strategy: 'none', nemesis: 'none', seed: SEED });
    expect(doc.status).toBe('invalid');
    const double = doc.verdict!.anomalies.find((a) => a.type === 'double-booking');
    expect(double).toBeDefined();
    await expectRealDoubleBooking(await experiments.history(doc.id), double!.ops);
  });

  it('distributed under pause-lock-holder is invalid; the paused holder wrote after the lease expired', async () => {
    const doc = await experiments.run({
      lab: 'booking',
      strategy: 'distributed',
      nemesis: 'pause-lock-holder',
      seed: SEED,
    });
    expect(doc.status).toBe('invalid');
    expect(doc.schedule.length).toBeGreaterThan(0);
    const history = await experiments.history(doc.id);
    const starts = history.filter((op) => op.process === 'nemesis' && op.f === 'start' && op.type === 'ok');
    const stops = history.filter((op) => op.process === 'nemesis' && op.f === 'stop' && op.type === 'ok');
    expect(starts.length).toBe(stops.length);
    const double = doc.verdict!.anomalies.find((a) => a.type === 'double-booking');
    expect(double).toBeDefined();
    await expectRealDoubleBooking(history, double!.ops);
    // Healed: no pause left armed, the lease TTL back to what it was.
    const faults = (await get(`${app.url}/booking/admin/faults`)).body as { pause_holder: { remaining: number } };
    expect(faults.pause_holder.remaining).toBe(0);
  });

  it.each(['fenced', 'pessimistic', 'optimistic'])(
    '%s under the same seed and pause schedule is valid',
    async (strategy) => {
      const doc = await experiments.run({ lab: 'booking', strategy, nemesis: 'pause-lock-holder', seed: SEED });
      expect(doc.verdict!.anomalies).toEqual([]);
      expect(doc.status).toBe('valid');
      expect((doc.verdict!.stats.bookings as { ok: number }).ok).toBeGreaterThan(0);
    },
  );

  it.each(['pessimistic', 'optimistic', 'distributed', 'fenced'])('%s under no fault is valid', async (strategy) => {
    const doc = await experiments.run({ lab: 'booking', strategy, nemesis: 'none', seed: SEED });
    expect(doc.verdict!.anomalies).toEqual([]);
    expect(doc.status).toBe('valid');
  });

  it('the same seed plans the same ops and the same schedule; another seed does not', async () => {
    const body = { lab: 'booking', strategy: 'fenced', nemesis: 'pause-lock-holder', ops: 60, seed: 77 };
    const a = await experiments.run(body);
    const b = await experiments.run(body);
    const c = await experiments.run({ ...body, seed: 78 });
    expect(b.schedule).toEqual(a.schedule);
    const [planA, planB, planC] = await Promise.all(
      [a, b, c].map(async (d) => invokedPlan(await experiments.history(d.id))),
    );
    expect(planA).toHaveLength(61); // 60 client ops + the final read
    expect(planB).toEqual(planA);
    expect(planC).not.toEqual(planA);
    expect(c.schedule).not.toEqual(a.schedule);
  });

  it('restores the strategy and settings the lab had before the run', async () => {
    await fetch(`${app.url}/booking/admin/strategy`, {
      method: 'POST',
      body: JSON.stringify({ strategy: 'optimistic' }),
    });
    await fetch(`${app.url}/booking/admin/settings`, { method: 'POST', body: JSON.stringify({ race_window_ms: 40 }) });
    await experiments.run({ lab: 'booking', strategy: 'none', nemesis: 'wide-race-window', ops: 30, seed: 1 });
    expect((await get(`${app.url}/booking/admin/strategy`)).body.strategy).toBe('optimistic');
    expect((await get(`${app.url}/booking/admin/settings`)).body.race_window_ms).toBe(40);
    await fetch(`${app.url}/booking/admin/settings`, { method: 'DELETE' });
  });
});
