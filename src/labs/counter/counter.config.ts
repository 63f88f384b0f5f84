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
