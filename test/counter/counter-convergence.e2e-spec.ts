import type { RunningApp } from '../../src/bootstrap';
import { checkConvergence } from '../../src/labs/counter/crdt/convergence';
import { startApp } from '../utils/app';
import { eventually, runConcurrently } from '../utils/concurrency';
import { get, post } from '../utils/http';
import {
  GATEWAY,
  NODE_ID,
  REGION_NAMES,
  REGION_URL,
  RegionName,
  STRONG,
  allNodes,
  dropOldCounterKeys,
  forceSyncAll,
  prng,
  regionCounter,
  resetLab,
  setSyncInterval,
  syncUntilConverged,
  unique,
} from './counter-test-kit';

describe('counter lab: convergence, persistence, idempotency and the strong counter', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ LABS: 'counter' });
    await dropOldCounterKeys(app);
    await resetLab(app);
    await setSyncInterval(300);
  });

  afterAll(async () => {
    await resetLab(app);
    await app.close();
  });

  it('200 random schedules of increments, partitions and heals: 0 lost and 0 double-counted after the final heal', async () => {
    await setSyncInterval(1000);
    const seedValue = Number(process.env.COUNTER_SCHEDULE_SEED ?? Date.now() % 1_000_000);
    const random = prng(seedValue);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
    let lost = 0;
    let doubled = 0;
    let acknowledgedIncrements = 0;
    let divergedWhilePartitioned = 0;
    let schedules = 0;
    const failures: string[] = [];

    // One counter for all schedules, with a cumulative ledger: a loss or double count in any
    // schedule would persist in every later check.
    const name = unique('schedules');
    const acknowledged: Record<string, number> = {};
    for (let s = 0; s < 200; s += 1) {
      const partitioned = new Set<RegionName>();
      let sawPartitionWithIncrement = false;
      const steps = 4 + Math.floor(random() * 7);
      for (let step = 0; step < steps; step += 1) {
        const roll = random();
        if (roll < 0.55) {
          const burst = 1 + Math.floor(random() * 3);
          const ops = Array.from({ length: burst }, () => ({
            region: pick(REGION_NAMES),
            amount: 1 + Math.floor(random() * 5),
            viaGateway: random() < 0.5,
          }));
          const results = await runConcurrently(burst, (i) => {
            const op = ops[i];
            return op.viaGateway
              ? post(`${GATEWAY}/api/increment`, { counter_name: name, amount: op.amount, routing: op.region })
              : post(`${REGION_URL[op.region]}/increment`, { counter_name: name, amount: op.amount });
          });
          results.forEach((res, i) => {
            if (res.status === 200) {
              acknowledged[NODE_ID[ops[i].region]] = (acknowledged[NODE_ID[ops[i].region]] ?? 0) + ops[i].amount;
              acknowledgedIncrements += 1;
              if (partitioned.size > 0) sawPartitionWithIncrement = true;
            }
          });
        } else if (roll < 0.75) {
          const region = pick(REGION_NAMES);
          if ((await post(`${GATEWAY}/admin/partition/${region}?enabled=true`)).status === 200) partitioned.add(region);
        } else if (roll < 0.9) {
          const region = pick(REGION_NAMES);
          if ((await post(`${GATEWAY}/admin/partition/${region}?enabled=false`)).status === 200)
            partitioned.delete(region);
        } else {
          await post(`${GATEWAY}/admin/force-sync`);
        }
      }
      if (sawPartitionWithIncrement && partitioned.size > 0) {
        await post(`${GATEWAY}/admin/force-sync`);
        const during = await allNodes(name);
        if (!checkConvergence(acknowledged, during).ok) divergedWhilePartitioned += 1;
      }
      const healed = await post(`${GATEWAY}/admin/partition/all?enabled=false`);
      expect(healed.body.regions_updated).toBe(3);
      await forceSyncAll();
      const verdict = checkConvergence(acknowledged, await allNodes(name));
      schedules += 1;
      lost += verdict.lost;
      doubled += verdict.double_counted;
      if (!verdict.ok) failures.push(`schedule ${s} (seed ${seedValue}): ${JSON.stringify(verdict)}`);
    }

    console.log(
      `counter schedules: seed ${seedValue}, ${schedules} schedules, ${acknowledgedIncrements} acknowledged increments, ` +
        `${divergedWhilePartitioned} diverged while partitioned, lost ${lost}, double-counted ${doubled}`,
    );
    expect({ schedules, lost, doubled, failures }).toEqual({ schedules: 200, lost: 0, doubled: 0, failures: [] });
    expect(acknowledgedIncrements).toBeGreaterThan(300);
    // The partitions did bite: with a partition still on, some schedules had diverged replicas.
    expect(divergedWhilePartitioned).toBeGreaterThan(0);
    await setSyncInterval(300);
  });

  it('100 concurrent increments through the gateway: every region ends with exactly the acknowledged sum', async () => {
    const name = unique('concurrent');
    const results = await runConcurrently(100, (i) =>
      post(`${GATEWAY}/api/increment`, { counter_name: name, amount: 1 + (i % 3) }),
    );
    expect(results.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    const acknowledged: Record<string, number> = {};
    for (let i = 0; i < 100; i += 1) {
      const node = results[i].body.node_id as string;
      acknowledged[node] = (acknowledged[node] ?? 0) + 1 + (i % 3);
    }
    await forceSyncAll();
    const verdict = checkConvergence(acknowledged, await allNodes(name));
    expect(verdict).toMatchObject({ ok: true, lost: 0, double_counted: 0 });
    const global = await get(`${GATEWAY}/api/counter/${name}`);
    expect(global.body.global_count).toBe(Object.values(acknowledged).reduce((s, n) => s + n, 0));
  });

  it('idempotency keys: concurrent retries of one request count once, on whichever route they take', async () => {
    const name = unique('idempotent');
    const key = `retry-${unique('k')}`;
    const retries = await runConcurrently(20, (i) =>
      i % 2 === 0
        ? post(`${GATEWAY}/api/increment`, { counter_name: name, amount: 7, idempotency_key: key })
        : post(`${GATEWAY}/api/increment`, {
            counter_name: name,
            amount: 7,
            idempotency_key: key,
            routing: 'round-robin',
          }),
    );
    expect(retries.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(retries.filter((r) => r.body.replayed === false)).toHaveLength(1);
    expect(new Set(retries.map((r) => r.body.region)).size).toBe(1);
    expect(new Set(retries.map((r) => r.body.local_count))).toEqual(new Set([7]));
    await syncUntilConverged(name);
    expect((await get(`${GATEWAY}/api/counter/${name}`)).body.global_count).toBe(7);

    const direct = await runConcurrently(10, () =>
      post(`${REGION_URL['eu-west']}/increment`, { counter_name: name, amount: 3, idempotency_key: `${key}-eu` }),
    );
    expect(direct.filter((r) => r.status === 200 && r.body.replayed === false)).toHaveLength(1);
    const reused = await post(`${REGION_URL['eu-west']}/increment`, {
      counter_name: name,
      amount: 4,
      idempotency_key: `${key}-eu`,
    });
    expect(reused.status).toBe(409);
    expect(reused.body.code).toBe('COUNTER.IDEMPOTENCY_KEY_REUSED');
    await syncUntilConverged(name);
    expect((await get(`${GATEWAY}/api/counter/${name}`)).body.global_count).toBe(10);
  });

  describe.each([
    ['crdt-merge', 12],
    ['max-of-totals', 7],
  ])('global view "%s" during a partition', (strategy, expectedDuringPartition) => {
    it(`reports ${expectedDuringPartition} for 5 increments on the cut-off side and 7 on the other, and 12 once healed`, async () => {
      const selected = await post(`${app.url}/admin/labs/counter/strategies/global-view`, { strategy });
      expect(selected.status).toBe(200);
      const name = unique(`view-${strategy}`);
      await post(`${GATEWAY}/admin/partition/us-east?enabled=true`);
      expect((await post(`${REGION_URL['us-east']}/increment`, { counter_name: name, amount: 5 })).status).toBe(200);
      expect((await post(`${REGION_URL['us-west']}/increment`, { counter_name: name, amount: 7 })).status).toBe(200);
      await post(`${GATEWAY}/admin/force-sync`);
      const during = await get(`${GATEWAY}/api/counter/${name}`);
      expect(during.body).toMatchObject({ global_view: strategy, global_count: expectedDuringPartition });
      expect(during.body.convergence.converged).toBe(false);
      await post(`${GATEWAY}/admin/partition/us-east?enabled=false`);
      await forceSyncAll();
      const after = await get(`${GATEWAY}/api/counter/${name}`);
      expect(after.body).toMatchObject({
        global_count: 12,
        convergence: { converged: true, lag: 0, max_count: 12, min_count: 12 },
      });
      const labs = await get(`${app.url}/admin/labs/counter`);
      const port = labs.body.strategy_ports.find((p: { port: string }) => p.port === 'global-view');
      expect(port.current).toBe(strategy);
    });
  });

  describe.each(['postgres-row-lock', 'redis-incr'])('strong counter "%s"', (strategy) => {
    it('is linearizable: 40 concurrent increments return 40 distinct values and end at exactly 40', async () => {
      expect((await post(`${app.url}/admin/labs/counter/strategies/strong-counter`, { strategy })).status).toBe(200);
      expect((await post(`${STRONG}/admin/coordination-delay?delay_ms=2`)).status).toBe(200);
      const name = unique(`strong-${strategy}`);
      const results = await runConcurrently(40, () => post(`${STRONG}/increment`, { counter_name: name, amount: 1 }));
      expect(results.map((r) => r.status)).toEqual(Array(40).fill(200));
      expect(results.every((r) => r.body.strategy === strategy)).toBe(true);
      const values = results.map((r) => r.body.value as number).sort((a, b) => a - b);
      expect(values).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect((await get(`${STRONG}/counter/${name}`)).body.value).toBe(40);
    });
  });

  it('PN-Counter: increments and decrements on different regions converge to P − N, below zero if need be', async () => {
    const name = unique('pn');
    await post(`${REGION_URL['us-east']}/pn/increment`, { counter_name: name, amount: 5 });
    await post(`${REGION_URL['us-west']}/pn/decrement`, { counter_name: name, amount: 8 });
    await post(`${REGION_URL['eu-west']}/pn/decrement`, { counter_name: name, amount: 1 });
    await forceSyncAll();
    for (const region of REGION_NAMES) {
      const view = await get(`${REGION_URL[region]}/pn/counter/${name}`);
      expect(view.body).toMatchObject({ value: -4, p: { 'us-east-1': 5 }, n: { 'us-west-1': 8, 'eu-west-1': 1 } });
    }
  });

  it('a crashed and restarted region node comes back with its counts (state in Redis)', async () => {
    const name = unique('restart');
    await post(`${REGION_URL['us-east']}/increment`, { counter_name: name, amount: 42 });
    await post(`${GATEWAY}/admin/partition/us-east?enabled=true`);
    await post(`${REGION_URL['us-east']}/increment`, { counter_name: name, amount: 8 });
    const crashed = await post(`${app.url}/admin/labs/counter/nodes/us-east/crash`);
    expect(crashed.body.up).toBe(false);
    expect((await get(`${app.url}/counter/us-east/counter/${name}`)).status).toBe(503);
    const restarted = await post(`${app.url}/admin/labs/counter/nodes/us-east/restart`);
    expect(restarted.body.up).toBe(true);
    const back = await regionCounter('us-east', name);
    expect(back).toMatchObject({ local_count: 50, total_count: 50 });
    // A restart forgets the simulated partition (like the seed's container), then syncs as usual.
    expect((await get(`${REGION_URL['us-east']}/admin/partition`)).body.network_partition).toBe(false);
    await syncUntilConverged(name);
  });

  it("a new process finds every region's counts again", async () => {
    const name = unique('new-process');
    await post(`${REGION_URL['us-west']}/increment`, { counter_name: name, amount: 9 });
    await post(`${REGION_URL['eu-west']}/increment`, { counter_name: name, amount: 4 });
    await app.close();
    app = await startApp({ LABS: 'counter' });
    expect((await regionCounter('us-west', name)).nodes).toMatchObject({ 'us-west-1': 9 });
    expect((await regionCounter('eu-west', name)).nodes).toMatchObject({ 'eu-west-1': 4 });
    await syncUntilConverged(name);
    for (const region of REGION_NAMES) expect((await regionCounter(region, name)).total_count).toBe(13);
    await eventually(
      () => get(`${GATEWAY}/health`),
      (r) => r.status === 200,
    );
  });
});
