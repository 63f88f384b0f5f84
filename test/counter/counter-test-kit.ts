import type { RunningApp } from '../../src/bootstrap';
import { RuntimeSettingsService } from '../../src/platform/strategy/runtime-settings.service';
import { StrategySelectionService } from '../../src/platform/strategy/strategy-selection.service';
import { RedisService } from '../../src/platform/redis/redis.service';
import { eventually } from '../utils/concurrency';
import { get, post } from '../utils/http';

export const SHIFT = Number(process.env.NODE_PORTS_SHIFT);
/** The seed's ports, shifted like every test port. */
export const seed = (port: number) => `http://127.0.0.1:${port + SHIFT}`;
export const GATEWAY = seed(8080);
export const COORDINATOR = seed(8000);
export const STRONG = seed(8004);
export const REGION_URL = { 'us-east': seed(8001), 'us-west': seed(8002), 'eu-west': seed(8003) } as const;
export type RegionName = keyof typeof REGION_URL;
export const REGION_NAMES = Object.keys(REGION_URL) as RegionName[];
export const NODE_ID: Record<RegionName, string> = {
  'us-east': 'us-east-1',
  'us-west': 'us-west-1',
  'eu-west': 'eu-west-1',
};

/** A fresh name per test run: Redis keeps counters across runs, as it should. */
export const RUN = Date.now().toString(36);
export const unique = (name: string) => `${name}-${RUN}`;

/** Back to the lab's defaults: no partition, default strategies, default delays and sync interval. */
export async function resetLab(app: RunningApp): Promise<void> {
  await app.app.get(StrategySelectionService).resetLab('counter');
  const settings = app.app.get(RuntimeSettingsService);
  await settings.reset('counter', 'sync');
  await settings.reset('counter', 'strong-counter');
  const healed = await post(`${GATEWAY}/admin/partition/all?enabled=false`);
  if (healed.status !== 200) throw new Error(`could not heal partitions: ${JSON.stringify(healed.body)}`);
}

export async function setSyncInterval(ms: number): Promise<void> {
  const res = await post(`${GATEWAY}/admin/sync-settings`, { interval_ms: ms });
  if (res.status !== 200) throw new Error(`could not set the sync interval: ${JSON.stringify(res.body)}`);
}

export async function regionCounter(region: RegionName, name: string) {
  const res = await get(`${REGION_URL[region]}/counter/${name}`);
  if (res.status !== 200) throw new Error(`${region} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as { local_count: number; total_count: number; nodes: Record<string, number> };
}

export async function allNodes(name: string): Promise<Record<RegionName, Record<string, number>>> {
  const views = await Promise.all(REGION_NAMES.map((r) => regionCounter(r, name)));
  return Object.fromEntries(REGION_NAMES.map((r, i) => [r, views[i].nodes])) as Record<
    RegionName,
    Record<string, number>
  >;
}

/** Force-sync until the gateway's global view says converged (setup helper: retries, no assertion). */
export async function syncUntilConverged(name: string): Promise<void> {
  await eventually(
    async () => {
      await post(`${GATEWAY}/admin/force-sync`);
      return get(`${GATEWAY}/api/counter/${name}`);
    },
    (r) => r.status === 200 && r.body.convergence.converged === true,
    { timeoutMs: 15000, intervalMs: 50 },
  );
}

/**
 * Force-sync until every region exchanged state with every peer (setup: a peer exchange can time
 * out on a busy machine; that is a retry of the sync, not of any assertion).
 */
export async function forceSyncAll(): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const res = await post(`${GATEWAY}/admin/force-sync`);
    if (res.status === 200 && Object.values(res.body.regions as Record<string, string>).every((r) => r === 'synced'))
      return;
  }
  throw new Error('force-sync did not reach every peer in 5 attempts');
}

/** Removes this lab's Redis keys of earlier runs that would slow every sync (all counters are pushed each round). */
export async function dropOldCounterKeys(app: RunningApp): Promise<void> {
  const redis = app.app.get(RedisService).client;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', 'counter:*', 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** mulberry32: a seeded PRNG, so a failing schedule can be replayed from its seed. */
export function prng(seedValue: number): () => number {
  let a = seedValue >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
