import { randomBytes } from 'node:crypto';
import type { RunningApp } from '../../src/bootstrap';
import { M } from '../../src/labs/counter/counter.metrics';
import { get, post } from '../utils/http';
import { startAppOnFreePorts } from '../utils/ports';

const FAMILIES = [...Object.values(M), 'http_requests_total', 'http_request_duration_seconds'];

/** Series of the counter lab's metric families and the HTTP ones in one /metrics exposition. */
function seriesOf(exposition: string): Set<string> {
  return new Set(
    exposition
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => line.slice(0, line.lastIndexOf(' ')))
      .filter((series) =>
        FAMILIES.some(
          (family) => series === family || series.startsWith(`${family}{`) || series.startsWith(`${family}_`),
        ),
      ),
  );
}

/**
 * User-supplied names never become label values without a bound: a flood of random counter names
 * adds a constant number of series (the first names keep their own, the rest share `other`), and
 * a second flood adds none.
 */
describe('metrics: label values from user input are bounded', () => {
  let app: RunningApp;
  const series = async () => seriesOf((await get(`${app.url}/metrics`)).body as string);

  beforeAll(async () => {
    app = await startAppOnFreePorts({ LABS: 'counter', LOG_LEVEL: 'error' });
  });
  afterAll(() => app?.close());

  async function flood(requests: number): Promise<void> {
    const regions = ['us-east', 'us-west', 'eu-west'];
    const kinds = [
      (name: string, i: number) =>
        post(`${app.url}/counter/${regions[i % 3]}/increment`, { counter_name: name, amount: 1 }),
      (name: string) => post(`${app.url}/counter/gateway/api/increment`, { counter_name: name, amount: 1 }),
      (name: string) => post(`${app.url}/counter/strong/increment`, { counter_name: name, amount: 1 }),
      (name: string) => get(`${app.url}/counter/coordinator/global/counter/${name}`),
    ];
    for (let start = 0; start < requests; start += 20) {
      const batch = Array.from({ length: Math.min(20, requests - start) }, (_, j) => start + j);
      const results = await Promise.all(
        batch.map((i) => kinds[i % kinds.length](`rnd_${randomBytes(8).toString('hex')}`, i)),
      );
      for (const res of results) expect(res.status).toBe(200);
    }
  }

  it('1,000 requests with random names add a bounded number of series; 1,000 more add none', async () => {
    // Every route and label set a normal run uses exists before the floods.
    await flood(40);
    const before = await series();
    await flood(1000);
    // Anti-entropy spreads the admitted names to every region now, not during the second flood.
    expect((await post(`${app.url}/counter/gateway/admin/force-sync`)).status).toBe(200);
    const afterFirst = await series();
    await flood(1000);
    expect((await post(`${app.url}/counter/gateway/admin/force-sync`)).status).toBe(200);
    const afterSecond = await series();
    const added = afterFirst.size - before.size;
    const addedAgain = [...afterSecond].filter((s) => !afterFirst.has(s));
    process.stdout.write(
      `cardinality: ${before.size} series before, +${added} after 1,000 random names, +${addedAgain.length} after 1,000 more\n`,
    );
    expect(addedAgain).toEqual([]);
    // The first names past the warm-up fill the bound; each adds at most its per-name series.
    expect(added).toBeLessThanOrEqual(3000);
    const names = new Set([...afterSecond].flatMap((s) => /counter_name="([^"]*)"/.exec(s)?.[1] ?? []));
    expect(names.has('other')).toBe(true);
    expect(names.size).toBeLessThanOrEqual(51);
  });
});
