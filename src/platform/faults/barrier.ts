export type BarrierOutcome =
  | { status: 'released'; generation: number; arrivals: number }
  | { status: 'timed_out'; generation: number; waitedMs: number; arrived: number; needed: number }
  | { status: 'cancelled'; generation: number };

interface Waiter {
  resolve: (outcome: BarrierOutcome) => void;
  timer: NodeJS.Timeout;
  arrivedAt: number;
}

/**
 * Holds arrivals until `count` of them are waiting, then releases them together.
 *
 * Generation-safe: each release or reset starts a new generation, and a waiter that times out
 * removes only itself from its own generation, so it never leaves a stale count behind that would
 * release the next pair early.
 */
export class Barrier {
  private generation = 0;
  private waiters: Waiter[] = [];

  constructor(
    private count: number,
    private timeoutMs: number,
  ) {
    Barrier.check(count, timeoutMs);
  }

  static check(count: number, timeoutMs: number): void {
    if (!Number.isInteger(count) || count < 1) throw new RangeError('barrier count must be an integer >= 1');
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError('barrier timeout must be > 0');
  }

  get waiting(): number {
    return this.waiters.length;
  }

  get currentGeneration(): number {
    return this.generation;
  }

  get size(): number {
    return this.count;
  }

  arrive(): Promise<BarrierOutcome> {
    const generation = this.generation;
    return new Promise<BarrierOutcome>((resolve) => {
      const waiter: Waiter = {
        resolve,
        arrivedAt: Date.now(),
        timer: setTimeout(() => {
          if (this.generation !== generation) return;
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve({
            status: 'timed_out',
            generation,
            waitedMs: Date.now() - waiter.arrivedAt,
            arrived: this.waiters.length + 1,
            needed: this.count,
          });
        }, this.timeoutMs),
      };
      this.waiters.push(waiter);
      if (this.waiters.length >= this.count)
        this.release({ status: 'released', generation, arrivals: this.waiters.length });
    });
  }

  /** Changes count/timeout; the waiters of the current generation are cancelled. */
  reconfigure(count: number, timeoutMs: number): void {
    Barrier.check(count, timeoutMs);
    this.count = count;
    this.timeoutMs = timeoutMs;
    this.reset();
  }

  /** Lets every current waiter go (as cancelled) and starts a new generation. */
  reset(): void {
    this.release({ status: 'cancelled', generation: this.generation });
  }

  private release(outcome: BarrierOutcome): void {
    const waiters = this.waiters;
    this.waiters = [];
    this.generation += 1;
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(outcome);
    }
  }
}
