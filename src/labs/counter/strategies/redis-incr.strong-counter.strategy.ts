import { Injectable } from '@nestjs/common';
import { delay } from '../../../platform/faults/delay';
import { redisKeyPart } from '../../../platform/redis/redis-key';
import { RedisService } from '../../../platform/redis/redis.service';
import { LabStrategy } from '../../../platform/strategy/lab-strategy.decorator';
import { LAB } from '../counter.config';
import {
  MAX_STRONG_VALUE,
  STRONG_COUNTER_PORT,
  StrongCounterKey,
  StrongCounterPort,
  StrongIncrement,
} from './strong-counter.port';

const NAMES = 'counter:strong:names';
/** Values live under their own `value:` namespace, the name escaped, so no name can land on the NAMES index. */
const key = (name: string) => `counter:strong:value:${redisKeyPart(name)}`;

/** INCRBY, unless it would pass the ceiling (checked in the same script, so still one atomic step). */
const INCRBY_BOUNDED = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current > tonumber(ARGV[2]) - tonumber(ARGV[1]) then return {0, string.format('%d', current)} end
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[3])
return {1, string.format('%d', value)}
`;

/**
 * One Redis INCRBY per increment (in a tiny script that refuses to pass 2^53 − 1, where JSON numbers
 * stop being exact). Redis runs commands one at a time, so INCRBY is atomic and
 * linearizable without any lock: concurrent increments never wait on each other (lock_wait_ms
 * is 0) and still each return a distinct value. The coordination delay is paid around it but
 * serializes nothing. Keeps its own values, separate from the PostgreSQL strategy's.
 */
@Injectable()
@LabStrategy({
  lab: LAB,
  port: STRONG_COUNTER_PORT,
  key: StrongCounterKey.RedisIncr,
  description: 'Redis INCRBY: atomic, linearizable, no lock to wait for',
})
export class RedisIncrStrongCounterStrategy extends StrongCounterPort {
  constructor(private readonly redis: RedisService) {
    super();
  }

  async increment(name: string, amount: number, coordinationDelayMs: number): Promise<StrongIncrement> {
    await delay(coordinationDelayMs);
    const [added, value] = (await this.redis.client.eval(
      INCRBY_BOUNDED,
      2,
      key(name),
      NAMES,
      String(amount),
      String(MAX_STRONG_VALUE),
      name,
    )) as [number, string];
    if (added === 0) return { value: Number(value), lockWaitMs: 0, outOfRange: true };
    await delay(coordinationDelayMs);
    return { value: Number(value), lockWaitMs: 0 };
  }

  async read(name: string): Promise<number | null> {
    const value = await this.redis.client.get(key(name));
    return value === null ? null : Number(value);
  }

  async all(): Promise<Record<string, number>> {
    const names = (await this.redis.client.smembers(NAMES)).sort();
    if (names.length === 0) return {};
    const values = await this.redis.client.mget(names.map(key));
    return Object.fromEntries(names.map((n, i) => [n, Number(values[i] ?? 0)]));
  }
}
