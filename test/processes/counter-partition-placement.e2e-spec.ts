import Redis from 'ioredis';
import type { RunningApp } from '../../src/bootstrap';
import { startApp } from '../utils/app';
import { eventually } from '../utils/concurrency';
import { get, post } from '../utils/http';
import { Supervised, startSupervisor } from './process-kit';

/** The anti-entropy interval, as the gateway's /admin/sync-settings stores it (the regions read it every tick). */
async function setSyncInterval(ms: number): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL!, { lazyConnect: true, commandTimeout: 2000 });
  try {
    await redis.hset('labs:runtime-settings', 'counter:sync', JSON.stringify({ interval_ms: ms }));
  } finally {
    redis.disconnect();
  }
}

/** Where one placement's nodes answer. */
interface Placement {
  main: string;
  region: Record<Region, string>;
}

type Region = 'us-east' | 'us-west' | 'eu-west';
const REGIONS: Region[] = ['us-east', 'us-west', 'eu-west'];
const OFFSET: Record<Region, number> = { 'us-east': 1, 'us-west': 2, 'eu-west': 3 };
/** The partition must hold for at least this long (many 200 ms sync rounds) to count as held. */
const HOLD_MS = 2500;

function placementAt(main: string, shift: number): Placement {
  const at = (port: number) => `http://127.0.0.1:${port + shift}`;
  return { main, region: Object.fromEntries(REGIONS.map((r) => [r, at(8000 + OFFSET[r])])) as Record<Region, string> };
}

async function nodesAt(p: Placement, region: Region, name: string): Promise<Record<string, number>> {
  const res = await get(`${p.region[region]}/counter/${name}`);
  if (res.status !== 200) throw new Error(`${region} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.nodes as Record<string, number>;
}

async function everyRegion(p: Placement, name: string): Promise<Record<Region, Record<string, number>>> {
  const maps = await Promise.all(REGIONS.map((r) => nodesAt(p, r, name)));
  return Object.fromEntries(REGIONS.map((r, i) => [r, maps[i]])) as Record<Region, Record<string, number>>;
}

/** Every region's /admin/force-sync, until every region holds the same map (a setup retry, not an assertion's). */
async function converge(p: Placement, name: string): Promise<Record<Region, Record<string, number>>> {
  return eventually(
    async () => {
      await Promise.all(REGIONS.map((r) => post(`${p.region[r]}/admin/force-sync`)));
      return everyRegion(p, name);
    },
    (m) => new Set(REGIONS.map((r) => JSON.stringify(Object.entries(m[r]).sort()))).size === 1,
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

const total = (nodes: Record<string, number>) => Object.values(nodes).reduce((a, b) => a + b, 0);

/**
 * The partition scenario, told only through HTTP to the regions' own ports (behind the balancer
 * when a region has several instances): a write that syncs, us-east cut off with one
 * `POST /admin/partition`, writes on both sides, the sides held apart for HOLD_MS of 200 ms sync rounds, a peer's
 * /sync refused by us-east itself, the heal and convergence; then a cut us-east crashed and
 * restarted, which comes back healed (the seed's partition flag started false on every start).
 * Returns what a client observed, to compare across placements.
 */
async function scenario(p: Placement, name: string) {
  expect((await post(`${p.main}/admin/labs/counter/reset`)).status).toBe(200);
  await setSyncInterval(200);
  expect((await post(`${p.region['us-east']}/increment`, { counter_name: name, amount: 3 })).status).toBe(200);
  await eventually(
    () => nodesAt(p, 'us-west', name),
    (n) => n['us-east-1'] === 3,
    { timeoutMs: 30_000, intervalMs: 100 },
  );

  // One request cuts us-east off (behind the balancer it reaches one instance of us-east).
  const cut = await post(`${p.region['us-east']}/admin/partition`, { enabled: true });
  // Every process of us-east reads the same cut: asked several times, each instance answers.
  const seen = await Promise.all(Array.from({ length: 4 }, () => get(`${p.region['us-east']}/admin/partition`)));
  expect((await post(`${p.region['us-west']}/increment`, { counter_name: name, amount: 4 })).status).toBe(200);
  expect((await post(`${p.region['eu-west']}/increment`, { counter_name: name, amount: 1 })).status).toBe(200);
  for (let i = 0; i < 2; i++)
    expect((await post(`${p.region['us-east']}/increment`, { counter_name: name, amount: 1 })).status).toBe(200);
  // A peer's /sync, as us-west sends it, meets us-east's own refusal.
  const refused = await post(`${p.region['us-east']}/sync`, {
    counts: { [name]: { 'us-west-1': 4 } },
    node_id: 'us-west-1',
    timestamp: Date.now() / 1000,
  });
  const forceSync = await post(`${p.region['us-east']}/admin/force-sync`);

  // Held apart: sampled for HOLD_MS, no state crosses in either direction.
  const samples: Record<Region, Record<string, number>>[] = [];
  for (const until = Date.now() + HOLD_MS; Date.now() < until;) {
    samples.push(await everyRegion(p, name));
    await new Promise((r) => setTimeout(r, 100));
  }
  // The two regions on the other side still sync with each other (waited for, not assumed).
  samples.push(
    await eventually(
      () => everyRegion(p, name),
      (m) => m['us-west']['eu-west-1'] === 1 && m['eu-west']['us-west-1'] === 4,
      { timeoutMs: 30_000, intervalMs: 100 },
    ),
  );
  const leaked = samples.filter(
    (m) =>
      m['us-east']['us-west-1'] !== undefined ||
      m['us-east']['eu-west-1'] !== undefined ||
      m['us-west']['us-east-1'] !== 3 ||
      m['eu-west']['us-east-1'] !== 3,
  );
  const during = samples[samples.length - 1];

  const healed = await post(`${p.region['us-east']}/admin/partition`, { enabled: false });
  const after = await converge(p, name);

  // A crash while cut off: the node starts again healed (the admin crash is a SIGKILL in process mode).
  expect((await post(`${p.region['us-east']}/admin/partition`, { enabled: true })).status).toBe(200);
  expect((await post(`${p.main}/admin/labs/counter/nodes/us-east/crash`)).status).toBe(200);
  await post(`${p.main}/admin/labs/counter/nodes/us-east/restart`);
  const restarted = await eventually(
    () => get(`${p.region['us-east']}/admin/partition`).catch(() => ({ status: 0, body: undefined })),
    (r) => r.status === 200,
    { timeoutMs: 60_000, intervalMs: 200 },
  );

  const { message: _cutMessage, ...cutBody } = cut.body as Record<string, unknown>;
  return {
    cut: cutBody,
    seen_by_every_request: seen.map((r) => r.body.network_partition),
    sync_refused: { status: refused.status, code: refused.body.code },
    force_sync_refused: forceSync.status,
    leaked_samples: leaked.length,
    samples_taken: samples.length > 10,
    during: { regions: during, totals: REGIONS.map((r) => total(during[r])) },
    healed: healed.body.network_partition,
    after: { regions: after, totals: REGIONS.map((r) => total(after[r])) },
    partition_after_restart: restarted.body.network_partition,
  };
}

const EXPECTED = {
  cut: { network_partition: true, region: 'us-east', node_id: 'us-east-1' },
  seen_by_every_request: [true, true, true, true],
  sync_refused: { status: 503, code: 'COUNTER.PARTITIONED' },
  force_sync_refused: 503,
  leaked_samples: 0,
  samples_taken: true,
  during: {
    regions: {
      'us-east': { 'us-east-1': 5 },
      'us-west': { 'us-east-1': 3, 'us-west-1': 4, 'eu-west-1': 1 },
      'eu-west': { 'us-east-1': 3, 'us-west-1': 4, 'eu-west-1': 1 },
    },
    totals: [5, 8, 8],
  },
  healed: false,
  after: {
    regions: {
      'us-east': { 'us-east-1': 5, 'us-west-1': 4, 'eu-west-1': 1 },
      'us-west': { 'us-east-1': 5, 'us-west-1': 4, 'eu-west-1': 1 },
      'eu-west': { 'us-east-1': 5, 'us-west-1': 4, 'eu-west-1': 1 },
    },
    totals: [10, 10, 10],
  },
  partition_after_restart: false,
};

/**
 * A counter partition is us-east's own state (a Redis key per node), enforced by us-east on its
 * links: the same scenario gives the same observable outcome with every region in one process,
 * with every region its own process, and with two processes of every region behind the balancer
 * (where a flag held in one process's memory would leave the other instance syncing).
 */
describe('counter partition: the same outcome however the regions are placed', () => {
  const RUN = Date.now().toString(36);
  const shift = Number(process.env.NODE_PORTS_SHIFT);
  const outcomes: Record<string, unknown> = {};

  it('regions together (one process)', async () => {
    const app: RunningApp = await startApp({ LABS: 'counter:us-east,counter:us-west,counter:eu-west' });
    try {
      outcomes.together = await scenario(placementAt(app.url, shift), `placement-together-${RUN}`);
    } finally {
      await post(`${app.url}/admin/labs/counter/reset`).catch(() => undefined);
      await app.close();
    }
    expect(outcomes.together).toEqual(EXPECTED);
  }, 240_000);

  it.each([
    ['apart (LAB_PROCESSES=1)', {}],
    ['apart, two instances of every region (LAB_INSTANCES=counter=2)', { LAB_INSTANCES: 'counter=2' }],
  ])(
    'regions %s',
    async (label, env: Record<string, string>) => {
      const sup: Supervised = await startSupervisor({
        LABS: 'counter:us-east,counter:us-west,counter:eu-west',
        ...env,
      });
      try {
        outcomes[label] = await scenario(
          placementAt(sup.url, shift + 500),
          `placement-${env.LAB_INSTANCES ? 'instances' : 'apart'}-${RUN}`,
        );
        const views = await sup.processes();
        const east = views.filter((v) => v.node === 'us-east');
        // The crash was a real kill: one us-east process has a new pid and a restart behind it.
        expect(east.reduce((n, v) => n + v.restarts, 0)).toBeGreaterThanOrEqual(1);
      } finally {
        await post(`${sup.url}/admin/labs/counter/reset`).catch(() => undefined);
        await sup.terminate();
      }
      expect(outcomes[label]).toEqual(EXPECTED);
      if (outcomes.together) expect(outcomes[label]).toEqual(outcomes.together);
    },
    420_000,
  );
});
