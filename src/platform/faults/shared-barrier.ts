import type { Redis } from 'ioredis';
import { BarrierOutcome, Barrier } from './barrier';

/** Arrive: count this arrival in the current generation; the `count`-th starts the next one (released). */
const ARRIVE = `
local gen = tonumber(redis.call('HGET', KEYS[1], 'gen') or '0')
local n = redis.call('HINCRBY', KEYS[1], 'arrivals:' .. gen, 1)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if n >= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'gen', gen + 1, 'outcome:' .. gen, 'released', 'released:' .. gen, n)
  redis.call('HDEL', KEYS[1], 'arrivals:' .. gen, 'outcome:' .. (gen - 2), 'released:' .. (gen - 2))
end
return {gen, n}`;

/** Leave after a timeout: only if the generation is still the one arrived in, so no stale count survives. */
const LEAVE = `
local gen = tonumber(redis.call('HGET', KEYS[1], 'gen') or '0')
if gen ~= tonumber(ARGV[1]) then return -1 end
return redis.call('HINCRBY', KEYS[1], 'arrivals:' .. gen, -1) + 1`;

/** Cancel: every waiter of the current generation goes (cancelled); a new generation starts. */
const CANCEL = `
local gen = tonumber(redis.call('HGET', KEYS[1], 'gen') or '0')
redis.call('HSET', KEYS[1], 'gen', gen + 1, 'outcome:' .. gen, 'cancelled')
redis.call('HDEL', KEYS[1], 'arrivals:' .. gen)
return gen`;

const POLL_MS = 5;

/**
 * The Barrier's contract, held in Redis so every instance of a node shares one barrier: it
 * releases when `count` arrivals have reached it across all processes (a hash per barrier: the
 * generation, its arrivals, each generation's outcome). Waiters poll the generation every 5 ms
 * for at most the timeout; a waiter that times out removes only its own arrival, and only from its
 * own generation. Every command runs under the client's command timeout.
 */
export class SharedBarrier {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private count: number,
    private timeoutMs: number,
  ) {
    Barrier.check(count, timeoutMs);
  }

  get size(): number {
    return this.count;
  }

  async arrive(): Promise<BarrierOutcome> {
    const arrivedAt = Date.now();
    const [generation] = (await this.redis.eval(ARRIVE, 1, this.key, this.count, this.timeoutMs * 4 + 60_000)) as [
      number,
      number,
    ];
    for (;;) {
      const [gen, outcome, released] = await this.redis.hmget(
        this.key,
        'gen',
        `outcome:${generation}`,
        `released:${generation}`,
      );
      if (Number(gen ?? 0) !== generation) {
        if (outcome === 'cancelled') return { status: 'cancelled', generation };
        return { status: 'released', generation, arrivals: Number(released ?? this.count) };
      }
      if (Date.now() - arrivedAt >= this.timeoutMs) {
        const arrived = Number(await this.redis.eval(LEAVE, 1, this.key, generation));
        if (arrived >= 0)
          return { status: 'timed_out', generation, waitedMs: Date.now() - arrivedAt, arrived, needed: this.count };
        // Released (or cancelled) between the poll and the leave: take that outcome.
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Waiting right now, across every process. */
  async waiting(): Promise<number> {
    const gen = (await this.redis.hget(this.key, 'gen')) ?? '0';
    return Number((await this.redis.hget(this.key, `arrivals:${gen}`)) ?? 0);
  }

  async reconfigure(count: number, timeoutMs: number): Promise<void> {
    Barrier.check(count, timeoutMs);
    this.count = count;
    this.timeoutMs = timeoutMs;
    await this.reset();
  }

  async reset(): Promise<void> {
    await this.redis.eval(CANCEL, 1, this.key);
  }

  /** Follows stored settings without cancelling anyone (another instance already reconfigured). */
  follow(count: number, timeoutMs: number): void {
    Barrier.check(count, timeoutMs);
    this.count = count;
    this.timeoutMs = timeoutMs;
  }
}
