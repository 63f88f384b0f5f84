import type { RunningApp } from '../../src/bootstrap';
import { startApp } from '../utils/app';
import { runConcurrently } from '../utils/concurrency';
import { get, post } from '../utils/http';
import { REGION_NAMES, REGION_URL, RegionName, resetLab, setSyncInterval } from './counter-test-kit';

const ATTEMPTS = 25;
const COUNTERS = 40;
const MAIN = () => app.url;
let app: RunningApp;

/** Every counter a region holds with a non-zero total. */
async function leftovers(region: RegionName): Promise<string[]> {
  const res = await get<{ counters: Record<string, { total_count: number }> }>(`${REGION_URL[region]}/counters`);
  if (res.status !== 200) throw new Error(`${region} answered ${res.status}`);
  return Object.entries(res.body.counters)
    .filter(([, c]) => c.total_count !== 0)
    .map(([name]) => `${region}:${name}`);
}

/**
 * POST /admin/labs/counter/reset while anti-entropy rounds are in flight: a round that read its
 * state before the reset must not write it back after (each sync carries the reset epoch it read;
 * a stale one is refused, and no round starts while a reset runs).
 */
describe('counter lab: a reset fences the syncs in flight', () => {
  beforeAll(async () => {
    app = await startApp({ LABS: 'counter' });
    await resetLab(app);
    // Mostly the syncs this test fires (a reset puts the interval back to its default of 5 s).
    await setSyncInterval(600_000);
  });

  afterAll(async () => {
    await resetLab(app);
    await app.close();
  });

  it(`${ATTEMPTS} resets, each amid force-syncs of every region: every region reads zero after each reset`, async () => {
    const anomalies: string[][] = [];
    let refusedOrFailed = 0;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const first = await post(`${MAIN()}/admin/labs/counter/reset`);
      expect(first.status).toBe(200);
      // Each region counts on its own counters, so every round has state to push and to pull.
      await Promise.all(
        REGION_NAMES.map(async (region) => {
          for (let i = 0; i < COUNTERS; i += 10) {
            await Promise.all(
              Array.from({ length: 10 }, (_, k) =>
                post(`${REGION_URL[region]}/increment`, {
                  counter_name: `fence-${attempt}-${region}-${i + k}`,
                  amount: 1 + k,
                }),
              ),
            );
          }
        }),
      );
      // Two rounds per region, started at staggered moments around the reset.
      const outcomes = await runConcurrently(7, async (i) => {
        if (i === 6) {
          await new Promise((r) => setTimeout(r, attempt % 5));
          return post(`${MAIN()}/admin/labs/counter/reset`);
        }
        await new Promise((r) => setTimeout(r, (i * 3 + attempt) % 7));
        return post(`${REGION_URL[REGION_NAMES[i % 3]]}/admin/force-sync`);
      });
      expect(outcomes[6].status).toBe(200);
      for (const o of outcomes.slice(0, 6)) {
        expect([200, 503]).toContain(o.status);
        if (o.status !== 200 || (o.body as { peers_failed: string[] }).peers_failed.length > 0) refusedOrFailed++;
      }
      // Every round has answered; nothing may have come back.
      const left = (await Promise.all(REGION_NAMES.map(leftovers))).flat();
      if (left.length > 0) anomalies.push(left);
    }
    // The fence lifts with the reset: a round now reaches every peer.
    for (const region of REGION_NAMES) {
      const round = await post(`${REGION_URL[region]}/admin/force-sync`);
      expect(round).toMatchObject({ status: 200, body: { peers_failed: [] } });
    }
    // How often a round crossed a reset (and was fenced) is reported, not asserted.
    process.stdout.write(
      `counter reset fence: ${ATTEMPTS} attempts, ${refusedOrFailed} rounds fenced or failed, ${anomalies.length} with counts back\n`,
    );
    expect(anomalies).toEqual([]);
  }, 600_000);
});
