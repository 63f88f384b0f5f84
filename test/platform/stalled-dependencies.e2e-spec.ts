import type { RunningApp } from '../../src/bootstrap';
import { nodeUrl, startApp } from '../utils/app';
import { get, JsonResponse, post } from '../utils/http';
import { PrivateServer, startPrivatePostgres, startPrivateRedis } from '../utils/private-deps';

const FREEZE_MS = 10_000;
/** REDIS_COMMAND_TIMEOUT_MS below; PostgreSQL counts as stalled after two failed 2 s probes. */
const REDIS_COMMAND_TIMEOUT_MS = 1500;
/** No request may take longer than this while a dependency is frozen (they must not hang until SIGCONT). */
const ANSWER_BOUND_MS = 8000;

interface Timed {
  res: JsonResponse;
  ms: number;
}

async function timed(call: () => Promise<JsonResponse>): Promise<Timed> {
  const started = Date.now();
  const res = await call();
  return { res, ms: Date.now() - started };
}

/**
 * A dependency that stops answering (SIGSTOP, as a stalled VM or a GC pause of the server) must
 * not hang requests: they answer 503/504 JSON within a bounded time, and the lab recovers by
 * itself after SIGCONT. Private PostgreSQL and Redis servers, never the shared ones.
 */
describe('stalled dependencies: PostgreSQL or Redis frozen for 10 s (private servers)', () => {
  let pg: PrivateServer;
  let redis: PrivateServer;
  let app: RunningApp;
  let booking: string;
  let customer = 0;
  const measured: Record<string, number> = {};

  const book = () =>
    post(`${booking}/book`, {
      event_id: 1,
      seat_number: `A${1 + (customer % 10)}`,
      customer_id: `stall_${customer++}`,
    });

  beforeAll(async () => {
    [pg, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
    app = await startApp({
      LABS: 'booking',
      DATABASE_URL: pg.url,
      REDIS_URL: redis.url,
      REDIS_COMMAND_TIMEOUT_MS: String(REDIS_COMMAND_TIMEOUT_MS),
    });
    booking = nodeUrl(app, 'booking', 'booking');
    expect((await book()).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    pg?.thaw();
    redis?.thaw();
    await app?.close();
    await Promise.all([pg?.stop(), redis?.stop()]);
    process.stdout.write(`stalled dependencies: ${JSON.stringify(measured)}\n`);
  });

  /** Requests one after another for the whole freeze; every answer is 503/504 JSON with a code, none hangs. */
  async function duringFreeze(server: PrivateServer, name: string, expectedCodes: RegExp): Promise<void> {
    server.freeze();
    const frozenAt = Date.now();
    const answers: Timed[] = [];
    try {
      while (Date.now() - frozenAt < FREEZE_MS) {
        answers.push(await timed(book));
      }
    } finally {
      server.thaw();
    }
    const thawedAt = Date.now();
    measured[`${name}_requests_during_freeze`] = answers.length;
    measured[`${name}_slowest_answer_ms`] = Math.max(...answers.map((a) => a.ms));
    for (const { res, ms } of answers) {
      expect([503, 504]).toContain(res.status);
      expect(res.body).toMatchObject({
        statusCode: res.status,
        code: expect.stringMatching(expectedCodes),
        message: expect.any(String),
      });
      expect(ms).toBeLessThan(ANSWER_BOUND_MS);
    }
    expect(answers.length).toBeGreaterThan(1);

    // Recovery by itself: poll until a booking goes through again.
    let recovered: JsonResponse | undefined;
    while (Date.now() - thawedAt < 30_000) {
      const res = await book();
      if (res.status === 200) {
        recovered = res;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    measured[`${name}_recovery_ms`] = Date.now() - thawedAt;
    expect(recovered?.status).toBe(200);
  }

  it('Redis frozen: bookings answer 503/504 JSON within the bound, and work again after SIGCONT', async () => {
    await duringFreeze(redis, 'redis', /^(REDIS|BOOKING)\./);
  }, 60_000);

  it('PostgreSQL frozen: bookings answer 503/504 JSON within the bound, and work again after SIGCONT', async () => {
    await duringFreeze(pg, 'postgres', /^DATABASE\./);
    // Reads too: the event page works again and health says PostgreSQL is up.
    expect((await get(`${booking}/events/1`)).status).toBe(200);
  }, 60_000);
});
