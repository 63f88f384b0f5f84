import type { RunningApp } from '../../src/bootstrap';
import { RedisService } from '../../src/platform/redis/redis.service';
import { startApp } from '../utils/app';
import { eventually, runConcurrently } from '../utils/concurrency';
import { get, request } from '../utils/http';
import { ALL_STRATEGIES, BookingClient, SAFE_STRATEGIES, SEED_SEATS, metricValue } from './booking-client';

/** curl -d without -H sends this type; the seed's quick-reference lines rely on JSON being read anyway. */
const CURL_FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const REPETITIONS = 20;
const ATTACKERS = 10;

/**
 * One app for the whole lab (the strategy selection and the seed event are shared state, so the
 * two parts must not run in parallel): first the seed API contract, then the acceptance criteria
 * on real PostgreSQL and Redis — the race shows up without locking, never with a fix, also at
 * scale, and the paused-holder scenario separates a lease from a fence.
 */
describe('booking lab', () => {
  let app: RunningApp;
  let booking: BookingClient;

  beforeAll(async () => {
    app = await startApp({ LABS: 'booking' });
    booking = new BookingClient(app);
    await booking.restoreDefaults();
  });
  afterAll(async () => {
    await booking.restoreDefaults();
    booking.close();
    await app.close();
  });

  describe('the seed API', () => {
    beforeEach(() => booking.restoreDefaults());

    it('answers /health in the seed shape, with its dependencies', async () => {
      const res = await booking.get('/health');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        status: 'ok',
        service: 'booking-service',
        strategy: 'none',
        dependencies: { postgres: 'up', redis: 'up' },
      });
    });

    it('serves the seed event: Rock Festival 2024, 100 seats A1–J10 in three sections', async () => {
      const res = await booking.get('/events/1');
      expect(res.status).toBe(200);
      expect(res.body.event).toMatchObject({
        id: 1,
        name: 'Rock Festival 2024',
        venue: 'Madison Square Garden',
        event_date: '2024-12-31T20:00:00',
        total_seats: 100,
      });
      expect(res.body.event.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
      expect(res.body.seats).toMatchObject({ total: 100, available: 100, booked: 0 });
      const details = res.body.seats.details as Array<{ seat_number: string; section: string; row_name: string }>;
      expect(details.slice(0, 3).map((s) => s.seat_number)).toEqual(['A1', 'A2', 'A3']);
      expect(details[9].seat_number).toBe('A10');
      expect(details[99]).toEqual({
        seat_number: 'J10',
        section: 'Economy',
        row_name: 'J',
        is_booked: false,
        booked_by: null,
      });
      const bySection = (name: string) => details.filter((s) => s.section === name).length;
      expect([bySection('VIP'), bySection('Standard'), bySection('Economy')]).toEqual([30, 40, 30]);
    });

    it('lists available seats with just seat_number, section and row_name', async () => {
      await booking.book('A1', 'alice');
      const available = await booking.get('/events/1/seats?available_only=true');
      expect(available.body.seats).toHaveLength(99);
      expect(available.body.seats.find((s: { seat_number: string }) => s.seat_number === 'A1')).toBeUndefined();
      expect(available.body.seats[0]).toEqual({ seat_number: 'A2', section: 'VIP', row_name: 'A' });
      const all = await booking.get('/events/1/seats?available_only=FALSE');
      expect(all.body.seats[0]).toEqual({
        seat_number: 'A1',
        section: 'VIP',
        row_name: 'A',
        is_booked: true,
        booked_by: 'alice',
      });
    });

    it('books, refuses a taken seat, and answers every outcome with HTTP 200 and a status', async () => {
      const first = await booking.book('B2', 'alice');
      expect(first.status).toBe(200);
      expect(first.body).toEqual({
        status: 'confirmed',
        message: 'Seat B2 booked successfully',
        customer_id: 'alice',
        strategy: 'none',
      });
      const second = await booking.book('B2', 'bob');
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({
        status: 'failed',
        message: 'Seat B2 already booked by alice',
        strategy: 'none',
      });
    });

    it('adds attempts under optimistic and the fencing token under fenced', async () => {
      await booking.useStrategy('optimistic');
      expect((await booking.book('C1', 'carol')).body).toMatchObject({
        status: 'confirmed',
        attempts: 1,
        strategy: 'optimistic',
      });
      await booking.useStrategy('fenced');
      const fenced = await booking.book('C2', 'dave');
      expect(fenced.body).toMatchObject({ status: 'confirmed', strategy: 'fenced' });
      expect(fenced.body.fencing_token).toEqual(expect.any(Number));
    });

    it('switches strategy at runtime, and /admin/labs shows the same selection', async () => {
      expect((await booking.get('/admin/strategy')).body).toEqual({ strategy: 'none' });
      const changed = await booking.post('/admin/strategy', { strategy: 'distributed' });
      expect(changed.status).toBe(200);
      expect(changed.body).toEqual({ old_strategy: 'none', new_strategy: 'distributed' });
      expect((await booking.get('/admin/strategy')).body).toEqual({ strategy: 'distributed' });
      const labs = await get(`${app.url}/admin/labs/booking`);
      const port = labs.body.strategy_ports.find((p: { port: string }) => p.port === 'seat-locking');
      expect(port.current).toBe('distributed');
      expect(port.strategies.map((s: { key: string }) => s.key)).toEqual([...ALL_STRATEGIES]);
      await request('POST', `${app.url}/admin/labs/booking/strategies/seat-locking`, { strategy: 'optimistic' });
      expect((await booking.get('/admin/strategy')).body).toEqual({ strategy: 'optimistic' });
      expect((await booking.get('/health')).body.strategy).toBe('optimistic');
    });

    it('runs the quick-reference curls, which send no JSON content type', async () => {
      const base = booking.base;
      const set = await request('POST', `${base}/admin/strategy`, '{"strategy":"pessimistic"}', CURL_FORM);
      expect(set.status).toBe(200);
      expect(set.body.new_strategy).toBe('pessimistic');
      const reset = await request('POST', `${base}/admin/reset?event_id=1`, undefined, {});
      expect(reset.body).toEqual({ message: 'Event 1 reset successfully' });
      const book = await request(
        'POST',
        `${base}/book`,
        '{"event_id":1,"seat_number":"A1","customer_id":"me"}',
        CURL_FORM,
      );
      expect(book.status).toBe(200);
      expect(book.body).toMatchObject({ status: 'confirmed', customer_id: 'me', strategy: 'pessimistic' });
      const doubles = await get(`${base}/admin/double-bookings`);
      expect(doubles.body).toEqual({ double_bookings: [], count: 0 });
    });

    it('shows double bookings with a bare-number count, and stats with every attempt per strategy', async () => {
      await booking.post('/admin/settings', { race_window_ms: 500 });
      await runConcurrently(3, (i) => booking.book('D4', `u${i + 1}`));
      const doubles = await booking.get('/admin/double-bookings');
      expect(doubles.body.count).toBe(1);
      expect(doubles.body.double_bookings[0]).toMatchObject({ seat_number: 'D4', event_id: 1, booking_count: 3 });
      expect([...doubles.body.double_bookings[0].customers].sort()).toEqual(['u1', 'u2', 'u3']);
      const stats = await booking.get('/admin/stats');
      expect(stats.body.totals).toEqual({ confirmed: 1, failed: 0, double_booked: 2, total: 3 });
      expect(stats.body.current_strategy).toBe('none');
      expect(stats.body.by_strategy).toEqual([
        {
          locking_strategy: 'none',
          confirmed: 1,
          failed: 0,
          double_booked: 2,
          total: 3,
          p50_ms: expect.any(Number),
          p99_ms: expect.any(Number),
        },
      ]);
      expect(stats.body.by_strategy[0].p50_ms).toBeLessThanOrEqual(stats.body.by_strategy[0].p99_ms);
    });

    it('reset frees the seats, clears the event’s bookings and its Redis seat locks', async () => {
      await booking.book('E5', 'erin');
      const redis = app.app.get(RedisService).client;
      await redis.set('seat_lock:1:E6', 'left-behind', 'PX', 60000);
      const res = await booking.post('/admin/reset?event_id=1');
      expect(res.status).toBe(200);
      expect((await booking.get('/events/1')).body.seats.available).toBe(100);
      expect(await booking.totals()).toEqual({ confirmed: 0, failed: 0, double_booked: 0, total: 0 });
      expect(await redis.exists('seat_lock:1:E6')).toBe(0);
    });

    it('exports the seed metric names, with available_seats and the strategy gauge current at scrape time', async () => {
      await booking.useStrategy('optimistic');
      await booking.book('F1', 'frank');
      const text = await booking.metrics();
      for (const name of [
        'bookings_total',
        'double_bookings_detected_total',
        'lock_contentions_total',
        'optimistic_retries_total',
        'booking_duration_seconds_bucket',
        'available_seats',
        'current_locking_strategy',
      ]) {
        expect(text).toContain(`\n${name}`);
      }
      expect(metricValue(text, 'available_seats', { event_id: '1' })).toBe(99);
      expect(metricValue(text, 'current_locking_strategy')).toBe(2);
    });

    it('keeps runtime settings and the pause fault behind admin endpoints', async () => {
      expect((await booking.get('/admin/settings')).body).toEqual({
        race_window_ms: 50,
        lock_ttl_ms: 5000,
        optimistic_max_attempts: 3,
        optimistic_backoff_ms: 10,
      });
      const changed = await booking.post('/admin/settings', { race_window_ms: 5 });
      expect(changed.body).toMatchObject({ race_window_ms: 5, lock_ttl_ms: 5000 });
      expect((await booking.delete('/admin/settings')).body.race_window_ms).toBe(50);
      const armed = await booking.post('/admin/faults/pause-holder', { pause_ms: 100 });
      expect(armed.body).toEqual({ pause_holder: { pause_ms: 100, remaining: 1 } });
      expect((await booking.delete('/admin/faults/pause-holder')).body.pause_holder.remaining).toBe(0);
    });

    it('compares every strategy server-side on one seat', async () => {
      const res = await booking.post('/admin/compare', { requests: 10 });
      expect(res.status).toBe(200);
      expect(res.body.results.map((r: { strategy: string }) => r.strategy)).toEqual([...ALL_STRATEGIES]);
      const none = res.body.results[0];
      expect(none).toMatchObject({ strategy: 'none', confirmed: 1, errors: 0, double_bookings: 1, safe: false });
      expect(none.double_booked).toBeGreaterThan(0);
      for (const result of res.body.results.slice(1)) {
        expect(result).toMatchObject({
          confirmed: 1,
          failed: 9,
          double_booked: 0,
          errors: 0,
          double_bookings: 0,
          safe: true,
        });
        expect(result.p50_ms).toBeLessThanOrEqual(result.p99_ms);
      }
    });

    it('documents every route in OpenAPI under the booking tag with a summary', async () => {
      const docs = await get(`${app.url}/docs-json`);
      const paths = Object.entries(
        docs.body.paths as Record<string, Record<string, { tags: string[]; summary?: string }>>,
      ).filter(([path]) => path.startsWith('/booking/'));
      expect(paths.length).toBeGreaterThanOrEqual(12);
      for (const [path, operations] of paths) {
        for (const [method, op] of Object.entries(operations)) {
          expect({ route: `${method} ${path}`, tags: op.tags, summary: Boolean(op.summary) }).toEqual({
            route: `${method} ${path}`,
            tags: ['booking'],
            summary: true,
          });
        }
      }
    });

    describe('bad input gets a 4xx JSON error naming the problem and changes nothing', () => {
      const cases: Array<[string, () => Promise<{ status: number; body: any }>, number, string, RegExp]> = [
        [
          'missing fields',
          () => booking.post('/book', { event_id: 1 }),
          400,
          'REQUEST.VALIDATION_FAILED',
          /seat_number.*customer_id/,
        ],
        ['event_id "abc"', () => booking.book('A1', 'x', 'abc'), 400, 'REQUEST.VALIDATION_FAILED', /event_id/],
        ['a fractional event_id', () => booking.book('A1', 'x', 1.5), 400, 'REQUEST.VALIDATION_FAILED', /event_id/],
        ['a negative event_id', () => booking.book('A1', 'x', -1), 400, 'REQUEST.VALIDATION_FAILED', /event_id/],
        [
          'an event_id beyond int4',
          () => booking.book('A1', 'x', 2 ** 31),
          400,
          'REQUEST.VALIDATION_FAILED',
          /event_id/,
        ],
        [
          'a numeric seat_number',
          () => booking.post('/book', { event_id: 1, seat_number: 1, customer_id: 'x' }),
          400,
          'REQUEST.VALIDATION_FAILED',
          /seat_number/,
        ],
        ['an empty customer_id', () => booking.book('A1', ''), 400, 'REQUEST.VALIDATION_FAILED', /customer_id/],
        [
          'an unknown field',
          () => booking.post('/book', { event_id: 1, seat_number: 'A1', customer_id: 'x', vip: true }),
          400,
          'REQUEST.VALIDATION_FAILED',
          /vip/,
        ],
        ['an unknown seat', () => booking.book('Z99', 'x'), 404, 'BOOKING.SEAT_NOT_FOUND', /Z99/],
        ['an unknown event', () => booking.book('A1', 'x', 999), 404, 'BOOKING.EVENT_NOT_FOUND', /999/],
        [
          'strategy "fast"',
          () => booking.post('/admin/strategy', { strategy: 'fast' }),
          400,
          'ADMIN.UNKNOWN_STRATEGY',
          /fast/,
        ],
        ['strategy missing', () => booking.post('/admin/strategy', {}), 400, 'REQUEST.VALIDATION_FAILED', /strategy/],
        [
          'malformed JSON',
          () => request('POST', `${booking.base}/book`, '{"event_id": 1, "seat_number":', CURL_FORM),
          400,
          'REQUEST.MALFORMED_JSON',
          /JSON/,
        ],
        ['a 2 MB body', () => booking.book('A1', 'x'.repeat(2 * 1024 * 1024)), 413, 'REQUEST.BODY_TOO_LARGE', /limit/],
        [
          'a JSON array body',
          () => request('POST', `${booking.base}/book`, '[1,2]'),
          400,
          'REQUEST.VALIDATION_FAILED',
          /event_id/,
        ],
        ['event id "abc" in the path', () => booking.get('/events/abc'), 400, 'REQUEST.VALIDATION_FAILED', /event_id/],
        ['an unknown event in the path', () => booking.get('/events/2'), 404, 'BOOKING.EVENT_NOT_FOUND', /2/],
        ['seats of an unknown event', () => booking.get('/events/2/seats'), 404, 'BOOKING.EVENT_NOT_FOUND', /2/],
        [
          'available_only=maybe',
          () => booking.get('/events/1/seats?available_only=maybe'),
          400,
          'REQUEST.VALIDATION_FAILED',
          /available_only/,
        ],
        [
          'reset of an unknown event',
          () => booking.post('/admin/reset?event_id=2'),
          404,
          'BOOKING.EVENT_NOT_FOUND',
          /2/,
        ],
        [
          'reset with event_id=abc',
          () => booking.post('/admin/reset?event_id=abc'),
          400,
          'REQUEST.VALIDATION_FAILED',
          /event_id/,
        ],
        [
          'a negative race window',
          () => booking.post('/admin/settings', { race_window_ms: -5 }),
          400,
          'REQUEST.VALIDATION_FAILED',
          /race_window_ms/,
        ],
        [
          'a pause without pause_ms',
          () => booking.post('/admin/faults/pause-holder', {}),
          400,
          'REQUEST.VALIDATION_FAILED',
          /pause_ms/,
        ],
        [
          'compare with an unknown strategy',
          () => booking.post('/admin/compare', { strategies: ['fast'] }),
          400,
          'BOOKING.UNKNOWN_STRATEGY',
          /fast/,
        ],
        [
          'compare with 10,000 requests',
          () => booking.post('/admin/compare', { requests: 10000 }),
          400,
          'REQUEST.VALIDATION_FAILED',
          /requests/,
        ],
      ];

      it.each(cases)('%s', async (_name, send, status, code, mentions) => {
        await booking.book('A1', 'owner');
        const before = await snapshot();
        const res = await send();
        expect(res.status).toBe(status);
        expect(res.body).toMatchObject({ statusCode: status, code });
        expect(res.body.message).toMatch(mentions);
        expect(await snapshot()).toEqual(before);
      });

      async function snapshot() {
        const [event, stats, strategy, settings, faults] = await Promise.all([
          booking.get('/events/1'),
          booking.get('/admin/stats'),
          booking.get('/admin/strategy'),
          booking.get('/admin/settings'),
          booking.get('/admin/faults'),
        ]);
        return {
          seats: event.body.seats,
          totals: stats.body.totals,
          strategy: strategy.body,
          settings: settings.body,
          faults: faults.body,
        };
      }
    });

    it.each(SAFE_STRATEGIES)('keeps the seed message for a lost race under %s', async (strategy) => {
      await booking.useStrategy(strategy);
      await booking.book('G7', 'first');
      const res = await booking.book('G7', 'second');
      expect(res.body).toMatchObject({ status: 'failed', message: 'Seat G7 already booked by first', strategy });
    });
  });

  describe('races and fixes', () => {
    beforeAll(() => booking.restoreDefaults());

    /** The seed runbook's attack: reset, then 10 truly concurrent requests for seat A1. */
    async function attackA1() {
      await booking.reset();
      const responses = await runConcurrently(ATTACKERS, (i) => booking.book('A1', `customer_${i + 1}`));
      return {
        responses,
        statuses: responses.map((r) => r.body.status as string),
        doubleBookings: await booking.doubleBookingCount(),
        totals: await booking.totals(),
      };
    }

    it(`double-books seat A1 under "none" in at least 19 of ${REPETITIONS} repetitions`, async () => {
      await booking.useStrategy('none');
      const before = metricValue(await booking.metrics(), 'double_bookings_detected_total', { strategy: 'none' });
      let doubleBooked = 0;
      let detected = 0;
      for (let rep = 0; rep < REPETITIONS; rep++) {
        const run = await attackA1();
        expect(run.responses.map((r) => r.status)).toEqual(Array(ATTACKERS).fill(200));
        expect(run.totals.total).toBe(ATTACKERS);
        expect(run.totals.confirmed).toBe(1);
        expect(run.totals.double_booked).toBe(run.statuses.filter((s) => s === 'double_booked').length);
        detected += run.totals.double_booked;
        if (run.doubleBookings > 0) doubleBooked++;
      }
      expect(doubleBooked).toBeGreaterThanOrEqual(19);
      const after = metricValue(await booking.metrics(), 'double_bookings_detected_total', { strategy: 'none' });
      expect(after - before).toBe(detected);
    });

    describe.each(SAFE_STRATEGIES)('%s', (strategy) => {
      it(`books seat A1 exactly once in ${REPETITIONS} of ${REPETITIONS} repetitions, recording all ${ATTACKERS} attempts`, async () => {
        await booking.useStrategy(strategy);
        const before = metricValue(await booking.metrics(), 'bookings_total', { strategy, status: 'failed' });
        for (let rep = 0; rep < REPETITIONS; rep++) {
          const run = await attackA1();
          expect(run.responses.map((r) => r.status)).toEqual(Array(ATTACKERS).fill(200));
          expect(run.statuses.filter((s) => s === 'confirmed')).toHaveLength(1);
          expect(run.statuses.filter((s) => s === 'failed')).toHaveLength(ATTACKERS - 1);
          expect(run.doubleBookings).toBe(0);
          expect(run.totals).toEqual({ confirmed: 1, failed: ATTACKERS - 1, double_booked: 0, total: ATTACKERS });
        }
        const after = metricValue(await booking.metrics(), 'bookings_total', { strategy, status: 'failed' });
        expect(after - before).toBe(REPETITIONS * (ATTACKERS - 1));
      });
    });

    describe('2,000 concurrent bookings over 100 seats (20 requesters per seat)', () => {
      const REQUESTS = 2000;

      /**
       * All 2,000 are issued at once; request i wants seat i / 20, so each seat's 20 requesters are
       * on the wire together (the client keeps up to STORM_CONNECTIONS connections open).
       */
      async function storm() {
        await booking.reset();
        const responses = await runConcurrently(REQUESTS, (i) =>
          booking.bookOverPool(SEED_SEATS[Math.floor(i / 20)], `storm_${i}`),
        );
        return {
          httpStatuses: new Set(responses.map((r) => r.status)),
          doubleBookings: await booking.doubleBookingCount(),
          totals: await booking.totals(),
          available: (await booking.get('/events/1')).body.seats.available as number,
        };
      }

      it('"none" stores double bookings', async () => {
        await booking.useStrategy('none');
        const run = await storm();
        expect([...run.httpStatuses]).toEqual([200]);
        expect(run.totals.total).toBe(REQUESTS);
        expect(run.doubleBookings).toBeGreaterThan(0);
        expect(run.totals.double_booked).toBeGreaterThan(0);
      });

      it.each(SAFE_STRATEGIES)('"%s" books every seat exactly once', async (strategy) => {
        await booking.useStrategy(strategy);
        const run = await storm();
        expect([...run.httpStatuses]).toEqual([200]);
        expect(run.doubleBookings).toBe(0);
        expect(run.totals).toEqual({ confirmed: 100, failed: REQUESTS - 100, double_booked: 0, total: REQUESTS });
        expect(run.available).toBe(0);
      });
    });

    describe('a lock holder paused longer than its lock TTL (Kleppmann)', () => {
      const LOCK_TTL_MS = 300;
      const PAUSE_MS = 3000;

      afterEach(async () => {
        await booking.delete('/admin/faults/pause-holder');
        await booking.delete('/admin/settings');
      });

      /** A takes the lock and stalls; once its lock has expired, B books the same seat; then A wakes up. */
      async function pausedHolderScenario(strategy: string) {
        await booking.useStrategy(strategy);
        await booking.reset();
        await booking.post('/admin/settings', { lock_ttl_ms: LOCK_TTL_MS });
        await booking.post('/admin/faults/pause-holder', { pause_ms: PAUSE_MS, holders: 1 });
        const redis = app.app.get(RedisService).client;

        const holder = booking.book('A1', 'paused_holder');
        await eventually(
          () => booking.get('/admin/faults'),
          (r) => r.body.pause_holder.remaining === 0,
          { timeoutMs: 5000, intervalMs: 20 },
        );
        await eventually(
          () => redis.exists('seat_lock:1:A1'),
          (exists) => exists === 0,
          { timeoutMs: 5000, intervalMs: 20 },
        );
        const second = await booking.book('A1', 'second_holder');
        const first = await holder;
        return { first: first.body, second: second.body, doubleBookings: await booking.doubleBookingCount() };
      }

      it('"distributed" double-books: the stale holder still writes', async () => {
        const before = metricValue(await booking.metrics(), 'booking_lock_expirations_total', {
          strategy: 'distributed',
        });
        const run = await pausedHolderScenario('distributed');
        expect(run.second.status).toBe('confirmed');
        expect(run.first.status).toBe('double_booked');
        expect(run.doubleBookings).toBe(1);
        const after = metricValue(await booking.metrics(), 'booking_lock_expirations_total', {
          strategy: 'distributed',
        });
        expect(after - before).toBe(1);
      });

      it('"fenced" does not: the stale holder\'s token is refused by the UPDATE', async () => {
        const before = metricValue(await booking.metrics(), 'booking_fencing_rejections_total', { strategy: 'fenced' });
        const run = await pausedHolderScenario('fenced');
        expect(run.second.status).toBe('confirmed');
        expect(run.first).toMatchObject({ status: 'failed', reason: 'stale_token' });
        expect(run.first.message).toMatch(/fencing token \d+ rejected/);
        expect(run.doubleBookings).toBe(0);
        const seat = (await booking.get('/events/1')).body.seats.details.find(
          (s: { seat_number: string }) => s.seat_number === 'A1',
        );
        expect(seat.booked_by).toBe('second_holder');
        const after = metricValue(await booking.metrics(), 'booking_fencing_rejections_total', { strategy: 'fenced' });
        expect(after - before).toBe(1);
      });

      it('"pessimistic" stays safe: a row lock has no TTL, the others just wait', async () => {
        await booking.useStrategy('pessimistic');
        await booking.reset();
        await booking.post('/admin/faults/pause-holder', { pause_ms: 1000, holders: 1 });
        const responses = await runConcurrently(5, (i) => booking.book('A1', `waiter_${i}`));
        expect(responses.filter((r) => r.body.status === 'confirmed')).toHaveLength(1);
        expect(await booking.doubleBookingCount()).toBe(0);
      });
    });
  });
});
