export const STRONG_COUNTER_PORT = 'strong-counter';

export const StrongCounterKey = {
  PostgresRowLock: 'postgres-row-lock',
  RedisIncr: 'redis-incr',
} as const;
export type StrongCounterKey = (typeof StrongCounterKey)[keyof typeof StrongCounterKey];

export interface StrongIncrement {
  /** The value after the increment; when refused, the value as it stays. */
  value: number;
  lockWaitMs: number;
  /** Set when the increment would have passed MAX_STRONG_VALUE: nothing was added. */
  outOfRange?: true;
}

/** The strong counter's ceiling: beyond 2^53 − 1 a JSON number is no longer exact. */
export const MAX_STRONG_VALUE = Number.MAX_SAFE_INTEGER;

/**
 * A linearizable counter: every increment sees every earlier one, so the value it returns is
 * the exact count at that instant. `coordinationDelayMs` stands for the round-trips a real
 * strongly consistent write pays (quorum, consensus) — slept before and after the write.
 */
export abstract class StrongCounterPort {
  abstract increment(name: string, amount: number, coordinationDelayMs: number): Promise<StrongIncrement>;
  /** The value, or null when the counter does not exist (reads create nothing). */
  abstract read(name: string): Promise<number | null>;
  abstract all(): Promise<Record<string, number>>;
}
