import { runConcurrently } from '../utils/concurrency';
import { Supervised, startSupervisor } from './process-kit';

const ATTACKS = 20;
const ATTACKERS = 10;

/**
 * Three booking processes behind the supervisor's round-robin balancer on the booking port: the
 * in-process `local` lock no longer excludes anyone, the locks that live in PostgreSQL or Redis still do.
 */
describe('booking with 3 instances (LAB_PROCESSES=1 LAB_INSTANCES=booking=3)', () => {
  let sup: Supervised;
  let base: string;

  const post = async (path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  /** Reset, then 10 truly concurrent requests for A1 through the balancer; the double bookings PostgreSQL holds. */
  async function attack(): Promise<{ statuses: string[]; doubleBookings: number }> {
    expect((await post('/admin/reset?event_id=1')).status).toBe(200);
    const responses = await runConcurrently(ATTACKERS, (i) =>
      post('/book', { event_id: 1, seat_number: 'A1', customer_id: `c${i}` }),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(ATTACKERS).fill(200));
    const count = (await (await fetch(`${base}/admin/double-bookings?event_id=1`)).json()) as { count: number };
    return { statuses: responses.map((r) => r.body.status as string), doubleBookings: count.count };
  }

  beforeAll(async () => {
    sup = await startSupervisor({ LABS: 'booking', LAB_INSTANCES: 'booking=3' });
    base = `http://127.0.0.1:${sup.ports.get('booking:booking')}`;
  }, 300_000);

  afterAll(async () => {
    if (sup) {
      await post('/admin/strategy', { strategy: 'none' }).catch(() => undefined);
      await sup.terminate();
    }
  });

  it('runs three booking processes, each request going to the next', async () => {
    const views = await sup.processes();
    expect(views.filter((v) => v.lab === 'booking' && v.state === 'up')).toHaveLength(3);
    expect(new Set(views.map((v) => v.pid)).size).toBe(3);
  });

  it(`"local" double-books seat A1 across instances (in at least half of ${ATTACKS} attacks)`, async () => {
    expect((await post('/admin/strategy', { strategy: 'local' })).status).toBe(200);
    let doubleBooked = 0;
    for (let n = 0; n < ATTACKS; n++) if ((await attack()).doubleBookings > 0) doubleBooked++;
    process.stdout.write(`local with 3 instances: double bookings in ${doubleBooked}/${ATTACKS} attacks\n`);
    expect(doubleBooked).toBeGreaterThanOrEqual(ATTACKS / 2);
  });

  it.each(['pessimistic', 'distributed', 'fenced'])(
    `"%s" books A1 exactly once in ${ATTACKS} of ${ATTACKS} attacks`,
    async (strategy) => {
      expect((await post('/admin/strategy', { strategy })).status).toBe(200);
      for (let n = 0; n < ATTACKS; n++) {
        const run = await attack();
        expect(run.doubleBookings).toBe(0);
        expect(run.statuses.filter((s) => s === 'confirmed')).toHaveLength(1);
        expect(run.statuses.filter((s) => s === 'failed')).toHaveLength(ATTACKERS - 1);
      }
    },
  );
});
