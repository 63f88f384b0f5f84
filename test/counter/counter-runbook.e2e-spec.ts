import type { RunningApp } from '../../src/bootstrap';
import { startApp } from '../utils/app';
import { eventually } from '../utils/concurrency';
import { get, post } from '../utils/http';
import {
  COORDINATOR,
  GATEWAY,
  NODE_ID,
  REGION_NAMES,
  REGION_URL,
  STRONG,
  dropOldCounterKeys,
  regionCounter,
  resetLab,
  setSyncInterval,
  unique,
} from './counter-test-kit';

/** The seed runbook (Parts 3-7) on the seed's ports (shifted), with LABS=counter. */
describe('counter lab: the seed runbook', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ LABS: 'counter' });
    await dropOldCounterKeys(app);
    await resetLab(app);
  });

  afterAll(async () => {
    await resetLab(app);
    await app.close();
  });

  it('every node answers /health in its seed shape on its own port', async () => {
    expect((await get(`${GATEWAY}/health`)).body).toEqual({ status: 'ok', service: 'gateway' });
    expect((await get(`${COORDINATOR}/health`)).body).toEqual({ status: 'ok', service: 'coordinator' });
    expect((await get(`${STRONG}/health`)).body).toEqual({ status: 'ok', service: 'counter-consistent' });
    for (const region of REGION_NAMES) {
      expect((await get(`${REGION_URL[region]}/health`)).body).toEqual({
        status: 'ok',
        service: `counter-${region}`,
        region,
        node_id: NODE_ID[region],
      });
    }
  });

  it('Part 3: increments through the gateway are routed to regions and counted in the global view', async () => {
    const name = unique('views');
    const first = await post(`${GATEWAY}/api/increment`, { counter_name: name, amount: 1 });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ counter: name, local_count: 1, total_count: 1, routing: 'random' });
    expect(REGION_NAMES).toContain(first.body.region);
    expect(first.body.node_id).toBe(NODE_ID[first.body.region as 'us-east']);
    expect(typeof first.body.latency_ms).toBe('number');
    expect(first.body.routed_to_endpoint).toBe(new URL(REGION_URL[first.body.region as 'us-east']).host);
    const seen = new Set<string>();
    for (let i = 0; i < 10; i += 1) {
      const res = await post(`${GATEWAY}/api/increment`, { counter_name: name, amount: 1, routing: 'round-robin' });
      expect(res.status).toBe(200);
      seen.add(res.body.region);
    }
    expect(seen).toEqual(new Set(REGION_NAMES));
    const global = await get(`${GATEWAY}/api/counter/${name}`);
    expect(global.status).toBe(200);
    expect(global.body).toMatchObject({ counter: name, global_count: 11, healthy_regions: 3, total_regions: 3 });
    expect(Object.keys(global.body.regions).sort()).toEqual([...REGION_NAMES].sort());
    expect(global.body.convergence).toEqual(
      expect.objectContaining({
        converged: expect.any(Boolean),
        lag: expect.any(Number),
        max_count: expect.any(Number),
        min_count: expect.any(Number),
      }),
    );
    expect(typeof global.body.gateway_latency_ms).toBe('number');
  });

  it('Part 4 (default 5 s interval): an increment of 100 on us-east is absent from us-west at once and arrives by anti-entropy', async () => {
    const name = unique('consistency_test');
    // Setup: start right after every region has just synced, so the next round is seconds away.
    await eventually(
      () => Promise.all(REGION_NAMES.map((r) => get(`${REGION_URL[r]}/counters`))),
      (views) => views.every((v) => v.body.last_sync_time !== null && Date.now() / 1000 - v.body.last_sync_time < 0.8),
      { timeoutMs: 30000, intervalMs: 50 },
    );
    const inc = await post(`${REGION_URL['us-east']}/increment`, { counter_name: name, amount: 100 });
    expect(inc.status).toBe(200);
    expect(inc.body).toEqual({
      counter: name,
      local_count: 100,
      total_count: 100,
      node_id: 'us-east-1',
      region: 'us-east',
    });
    const before = await regionCounter('us-west', name);
    expect(before).toMatchObject({ local_count: 0, total_count: 0, nodes: {} });

    const after = await eventually(
      () => regionCounter('us-west', name),
      (c) => c.total_count === 100,
      { timeoutMs: 15000 },
    );
    expect(after.nodes).toEqual({ 'us-east-1': 100 });
    for (const region of REGION_NAMES) {
      const c = await eventually(
        () => regionCounter(region, name),
        (v) => v.total_count === 100,
        { timeoutMs: 15000 },
      );
      expect(c.nodes).toEqual({ 'us-east-1': 100 });
    }
  });

  it('Part 5: a partition keeps the regions diverged for as long as it lasts; heal + force-sync converges them', async () => {
    const name = unique('partition_demo');
    await setSyncInterval(200);
    const status = await get(`${GATEWAY}/api/status`);
    expect(status.body).toMatchObject({ healthy_count: 3, partitioned_count: 0 });

    const cut = await post(`${GATEWAY}/admin/partition/us-east?enabled=true`);
    expect(cut.status).toBe(200);
    expect(cut.body).toEqual({ status: 'success', region: 'us-east', network_partition: true });
    expect((await get(`${GATEWAY}/api/status`)).body).toMatchObject({ healthy_count: 3, partitioned_count: 1 });

    for (let i = 0; i < 20; i += 1) {
      const res = await post(`${GATEWAY}/api/increment`, {
        counter_name: name,
        amount: 1,
        routing: i % 4 === 0 ? 'us-east' : 'random',
      });
      expect(res.status).toBe(200);
    }
    const partitionStatus = await get(`${REGION_URL['us-east']}/admin/partition`);
    expect(partitionStatus.body).toEqual({ network_partition: true, region: 'us-east', node_id: 'us-east-1' });
    const local = await post(`${REGION_URL['us-east']}/increment`, { counter_name: name, amount: 50 });
    expect(local.status).toBe(200);
    expect(local.body.region).toBe('us-east');

    // Many sync intervals pass; the partitioned side neither sends nor accepts state.
    const refused = await post(`${REGION_URL['us-east']}/admin/force-sync`);
    expect(refused.status).toBe(503);
    expect(refused.body.detail).toBe('Cannot sync - network partition is active');
    const pushed = await post(`${REGION_URL['us-east']}/sync`, {
      counts: { [name]: { 'eu-west-1': 1 } },
      node_id: 'eu-west-1',
      timestamp: 1,
    });
    expect(pushed.status).toBe(503);
    for (let check = 0; check < 5; check += 1) {
      await new Promise((r) => setTimeout(r, 300));
      const view = await get(`${GATEWAY}/api/counter/${name}`);
      expect(view.body.convergence.converged).toBe(false);
      expect(view.body.convergence.lag).toBeGreaterThan(0);
      expect(view.body.global_count).toBe(70);
    }
    const east = await regionCounter('us-east', name);
    expect(Object.keys(east.nodes)).toEqual(['us-east-1']);

    const healed = await post(`${GATEWAY}/admin/partition/us-east?enabled=false`);
    expect(healed.body).toEqual({ status: 'success', region: 'us-east', network_partition: false });
    const synced = await post(`${GATEWAY}/admin/force-sync`);
    expect(synced.status).toBe(200);
    expect(synced.body).toMatchObject({ status: 'sync_initiated', regions_synced: 3 });
    // The runbook waits 2 s after the force-sync before it looks.
    const view = await eventually(
      () => get(`${GATEWAY}/api/counter/${name}`),
      (r) => r.body.convergence.converged === true,
      {
        timeoutMs: 2000,
      },
    );
    expect(view.body.global_count).toBe(70);
    expect(view.body.convergence).toEqual({ converged: true, lag: 0, max_count: 70, min_count: 70 });
    for (const region of REGION_NAMES) expect(view.body.regions[region].total_count).toBe(70);

    const report = await eventually(
      () => get(`${GATEWAY}/api/convergence`),
      (r) => r.body.last_heal?.status === 'converged',
    );
    expect(report.body.last_heal.region).toBe('us-east');
    expect(report.body.last_heal.heal_to_convergence_ms).toBeGreaterThanOrEqual(0);
    const check = await get(`${GATEWAY}/api/convergence/${name}`);
    expect(check.body).toMatchObject({ ok: true, lost: 0, double_counted: 0, acknowledged_total: 70 });
  });

  it('the literal /admin/partition/all route is reachable and partitions or heals every region', async () => {
    const all = await post(`${GATEWAY}/admin/partition/all?enabled=true`);
    expect(all.body).toEqual({ status: 'success', partition_enabled: true, regions_updated: 3 });
    expect((await get(`${GATEWAY}/api/status`)).body.partitioned_count).toBe(3);
    const force = await post(`${GATEWAY}/admin/force-sync`);
    expect(force.body.regions_synced).toBe(0);
    const healed = await post(`${GATEWAY}/admin/partition/all?enabled=false`);
    expect(healed.body).toEqual({ status: 'success', partition_enabled: false, regions_updated: 3 });
    expect((await get(`${GATEWAY}/api/status`)).body.partitioned_count).toBe(0);
  });

  it('Part 6: /api/compare measures one region against the strong counter on 8004', async () => {
    const name = unique('benchmark');
    const strongBefore = await get(`${STRONG}/counter/${name}_strong`);
    expect(strongBefore.body.value).toBe(0);
    const res = await post(`${GATEWAY}/api/compare`, { counter_name: name, iterations: 30 });
    expect(res.status).toBe(200);
    expect(res.body.iterations).toBe(30);
    for (const side of ['eventual_consistency', 'strong_consistency']) {
      expect(Object.keys(res.body[side]).sort()).toEqual([
        'avg_ms',
        'description',
        'max_ms',
        'min_ms',
        'p50_ms',
        'p99_ms',
      ]);
    }
    expect(res.body.speedup).toBeGreaterThan(0);
    expect(res.body.conclusion).toMatch(/^Eventual consistency is ~\d+\.\dx faster/);
    expect((await get(`${STRONG}/counter/${name}_strong`)).body).toMatchObject({ value: 30, consistency: 'strong' });
    const eventual = await get(`${GATEWAY}/api/counter/${name}_eventual`);
    expect(eventual.body.global_count).toBe(30);

    const strong = await post(`${STRONG}/increment`, { counter_name: unique('strong_test'), amount: 1 });
    expect(strong.status).toBe(200);
    expect(strong.body).toMatchObject({ value: 1, consistency: 'strong', coordination_delay_ms: 100 });
    expect(strong.body.total_latency_ms).toBeGreaterThanOrEqual(100);
    expect(typeof strong.body.lock_wait_ms).toBe('number');
    const delaySet = await post(`${STRONG}/admin/coordination-delay?delay_ms=5`);
    expect(delaySet.body.coordination_delay_ms).toBe(5);
    const faster = await post(`${STRONG}/increment`, { counter_name: unique('strong_test'), amount: 1 });
    expect(faster.body).toMatchObject({ value: 2, coordination_delay_ms: 10 });
    expect((await get(`${STRONG}/counters`)).body.counters[unique('strong_test')]).toBe(2);
  });

  it('Part 7: each region shows its G-Counter node map', async () => {
    const name = unique('views');
    const views = await Promise.all(REGION_NAMES.map((r) => regionCounter(r, name)));
    for (const view of views) {
      for (const [node, n] of Object.entries(view.nodes)) {
        expect(Object.values(NODE_ID)).toContain(node);
        expect(Number.isInteger(n) && n > 0).toBe(true);
      }
      expect(view.total_count).toBe(Object.values(view.nodes).reduce((s, n) => s + n, 0));
    }
    const counters = await get(`${REGION_URL['us-west']}/counters`);
    expect(counters.body).toMatchObject({ region: 'us-west', node_id: 'us-west-1', network_partition: false });
    expect(counters.body.counters[name]).toBeDefined();
  });

  it('serves the seed metric names, with counter_name where the original forgot it', async () => {
    const text = await (await fetch(`${GATEWAY}/metrics`)).text();
    for (const metric of [
      'counter_local_count{',
      'counter_synced_count{',
      'counter_sync_lag_ms{',
      'counter_increments_total{',
      'counter_sync_operations_total{',
      'counter_sync_latency_seconds_bucket{',
      'coordinator_global_count{',
      'coordinator_convergence_lag{',
      'coordinator_healthy_regions ',
      'gateway_requests_total{',
      'gateway_routed_to_region_total{',
      'consistent_counter_increments_total{',
      'consistent_counter_lock_wait_seconds_bucket{',
    ]) {
      expect(text).toContain(metric);
    }
    expect(text).toMatch(/counter_synced_count\{[^}]*counter_name="/);
    expect(text).toMatch(/gateway_consistency_comparison_seconds_count\{consistency_type="strong"\} [1-9]/);
  });
});
