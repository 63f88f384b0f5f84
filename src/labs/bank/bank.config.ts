/** Defaults of the bank lab (the seed's env defaults; runtime changes go through the admin API). */
export const BANK_LAB = 'bank' as const;
export const BANK_NODE = 'bank';
/** The seed's `service` label and Jaeger service name. */
export const BANK_SERVICE = 'bank-api';

export interface RaceWindowSettings {
  delay_enabled: boolean;
  delay_ms: number;
  barrier_enabled: boolean;
  barrier_count: number;
  /** A waiter that is still alone after this long goes on by itself (and says so). */
  barrier_timeout_ms: number;
}

export const RACE_WINDOW_SETTINGS = 'race-window';

export const DEFAULT_RACE_WINDOW: RaceWindowSettings = {
  delay_enabled: false,
  delay_ms: 100,
  barrier_enabled: false,
  barrier_count: 2,
  barrier_timeout_ms: 30000,
};

export const BANK_LIMITS = {
  /** Largest amount one transfer may move. */
  maxAmount: 1_000_000_000,
  maxDelayMs: 60_000,
  maxBarrierCount: 1000,
  minBarrierTimeoutMs: 100,
  maxBarrierTimeoutMs: 60_000,
  /** /transactions?limit= is bounded (the seed returned the whole log for 0). */
  maxTransactionsLimit: 1000,
  defaultTransactionsLimit: 20,
  /** Attempts of the isolation strategies before a transfer gives up on serialization failures. */
  maxAttempts: 5,
} as const;
