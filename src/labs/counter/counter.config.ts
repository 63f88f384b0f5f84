/** The counter lab's fixed topology and defaults (runtime-changeable ones live in RuntimeSettings). */
export const LAB = 'counter';

export const REGIONS = ['us-east', 'us-west', 'eu-west'] as const;
export type Region = (typeof REGIONS)[number];

export function isRegion(value: string): value is Region {
  return (REGIONS as readonly string[]).includes(value);
}

/** The seed's NODE_ID per region: the key of that region's entry in every G-Counter map. */
export function nodeIdOf(region: Region): string {
  return `${region}-1`;
}

/** The node ids a G-Counter map may hold: one per region, each written only by its region. */
export const NODE_IDS: readonly string[] = REGIONS.map(nodeIdOf);

/**
 * The largest value one entry may reach. With one entry per region, every total (and every
 * PN value, P − N) stays within ±(2^53 − 1), where JSON numbers are exact: an increment that would
 * pass it is refused (422), and a peer's state beyond it is refused like bad input.
 */
export const MAX_ENTRY = Math.floor(Number.MAX_SAFE_INTEGER / REGIONS.length);

export function serviceOf(region: Region): string {
  return `counter-${region}`;
}

export const COUNTER_DEFAULTS = {
  /** Anti-entropy period (seed SYNC_INTERVAL_MS). */
  syncIntervalMs: 5000,
  /** Per-peer timeout of one push-pull exchange; peers are contacted in parallel. */
  syncTimeoutMs: 2000,
  /** How often the sync loop wakes up to see whether a sync is due (the interval can change at runtime). */
  syncTickMs: 100,
  coordinatorTimeoutMs: 5000,
  gatewayTimeoutMs: 5000,
  gatewayForceSyncTimeoutMs: 10000,
  /** Strong counter: slept before and after the increment while holding the lock (seed default). */
  coordinationDelayMs: 50,
  idempotencyTtlSeconds: 24 * 3600,
  /** Most counters one Redis script reads or merges (keeps each script short; Redis runs one at a time). */
  redisBatch: 1000,
  /** Largest chunk of state one /sync exchange pushes (and pages back): BODY_LIMIT / 4 if that is smaller. */
  syncChunkBytes: 64 * 1024,
  /** Most exchanges with one peer in one anti-entropy round (each carries at most one chunk each way). */
  maxExchangesPerRound: 200,
  /** How long the gateway watches for convergence after a heal. */
  convergenceWatchMs: 60000,
} as const;

export interface SyncSettings {
  interval_ms: number;
}

export interface StrongSettings {
  coordination_delay_ms: number;
}

export const SYNC_SETTINGS = 'sync';
export const STRONG_SETTINGS = 'strong-counter';
