import { Injectable } from '@nestjs/common';
import { RedisService } from '../../../platform/redis/redis.service';
import { fromStore } from '../counter.errors';
import { GCounter } from '../crdt/g-counter';
import { PNCounter } from '../crdt/pn-counter';
import { RESET_EPOCH, RESET_RUNNING, ResetFence, readResetFence } from './reset-fence';

export interface IncrementRecord {
  counter: string;
  amount: number;
  local_count: number;
  total_count: number;
}

export type IncrementOutcome =
  /** `replayed`: the idempotency key had been seen, nothing was counted this time. */
  | { status: 'counted' | 'replayed'; record: IncrementRecord }
  /** The entry would pass `maxEntry`: nothing was counted. */
  | { status: 'out_of_range'; current: number };

/** Raw state as Redis holds it: per counter, field → decimal string. Parsed (and checked) by the caller. */
export type RawCounters = Record<string, Record<string, string>>;

/*
 * Numbers never go through cjson or tostring here: both print 14 significant digits, so
 * 9007199254740991 would come back as 9.007199254741e+15. Values travel as the decimal strings
 * Redis stores, `tonumber` is exact below 2^53 (every entry is, by the cap), and `%d` prints a
 * sum exactly.
 */

/**
 * Increment this node's entry unless it would pass the cap, and with an idempotency key remember
 * the answer in the same atomic step: a retry (even a concurrent one) finds the record and counts nothing.
 */
const INCREMENT = `
local useKey = ARGV[5] == '1'
if useKey then
  local prior = redis.call('GET', KEYS[3])
  if prior then return {1, prior} end
end
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if current > tonumber(ARGV[6]) - tonumber(ARGV[2]) then return {2, string.format('%d', current)} end
local localCount = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
local total = 0
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do total = total + tonumber(v) end
local record = '{"counter":' .. cjson.encode(ARGV[3]) .. ',"amount":' .. ARGV[2] ..
  ',"local_count":' .. string.format('%d', localCount) .. ',"total_count":' .. string.format('%d', total) .. '}'
if useKey then redis.call('SET', KEYS[3], record, 'EX', ARGV[4]) end
return {0, record}
`;

/** Several counters' hashes in one round trip, as flat [field, value, ...] lists in the order asked. */
const READ = `
local out = {}
for i = 2, #ARGV do out[#out + 1] = redis.call('HGETALL', ARGV[1] .. ARGV[i]) end
return out
`;

/**
 * The G-Counter merge, in Redis, for a chunk of incoming state: raise each entry to the incoming
 * value when that is larger (per-node max). One script per chunk, so it is atomic against local
 * increments (HINCRBY). ARGV: prefix, the reset epoch the state was read in ('' for a client
 * that sends none), then per counter: name, field count, field, value, ...
 * Answers, per counter, the entries that differed and the merged total; -1 and nothing written
 * when a reset is running or has run since the state was read (the reset fence).
 */
const MERGE = `
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
if ARGV[2] ~= '' and (redis.call('GET', KEYS[2]) or '0') ~= ARGV[2] then return -1 end
local out = {}
local i = 3
while i <= #ARGV do
  local name, fields = ARGV[i], tonumber(ARGV[i + 1])
  i = i + 2
  local key = ARGV[1] .. name
  local differing, wrote = 0, false
  for _ = 1, fields do
    local node, value = ARGV[i], ARGV[i + 1]
    i = i + 2
    local incoming = tonumber(value)
    local current = redis.call('HGET', key, node)
    if current then
      current = tonumber(current)
      if current ~= incoming then differing = differing + 1 end
      if incoming > current then redis.call('HSET', key, node, value); wrote = true end
    elseif incoming > 0 then
      redis.call('HSET', key, node, value); wrote = true
    end
  end
  local total = 0
  for _, v in ipairs(redis.call('HVALS', key)) do total = total + tonumber(v) end
  if wrote then redis.call('SADD', KEYS[1], name) end
  out[#out + 1] = name
  out[#out + 1] = differing
  out[#out + 1] = string.format('%d', total)
end
return out
`;

const PN_ADD = `
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if current > tonumber(ARGV[4]) - tonumber(ARGV[2]) then return -1 end
redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return 0
`;

/**
 * Each region's CRDT state in Redis: a hash per (region, counter) mapping node id → count, and
 * a set of the region's counter names. Redis is the region's disk: a restarted node finds its
 * counts again. Regions never read each other's keys; they learn of one another only by sync.
 */
@Injectable()
export class RegionStateRepository {
  constructor(private readonly redis: RedisService) {}

  async increment(
    region: string,
    node: string,
    name: string,
    amount: number,
    maxEntry: number,
    idempotencyKey?: string,
    ttlSeconds = 86400,
  ): Promise<IncrementOutcome> {
    const keys = [gKey(region, name), gNames(region), idemKey(region, idempotencyKey ?? '')];
    const args = [node, String(amount), name, String(ttlSeconds), idempotencyKey ? '1' : '0', String(maxEntry)];
    const [status, raw] = (await fromStore('redis', () =>
      this.redis.client.eval(INCREMENT, keys.length, ...keys, ...args),
    )) as [number, string];
    if (status === 2) return { status: 'out_of_range', current: Number(raw) };
    return { status: status === 1 ? 'replayed' : 'counted', record: JSON.parse(raw) as IncrementRecord };
  }

  /** The hash of a counter, or null when this region has never heard of it (reads create nothing). */
  async read(region: string, name: string): Promise<Record<string, string> | null> {
    const hash = await fromStore('redis', () => this.redis.client.hgetall(gKey(region, name)));
    return Object.keys(hash).length === 0 ? null : hash;
  }

  /** Every G-Counter and PN-Counter name of the region, sorted (the order pages follow). */
  async names(region: string): Promise<string[]> {
    const [g, pn] = await fromStore('redis', () =>
      Promise.all([this.redis.client.smembers(gNames(region)), this.redis.client.smembers(pnNames(region))]),
    );
    return [...new Set([...g, ...pn])].sort();
  }

  /** The raw hashes of the given counters (G and PN), a bounded number per script. Missing ones are left out. */
  async readMany(
    region: string,
    names: readonly string[],
    batch: number,
  ): Promise<{ g: RawCounters; pn: RawCounters }> {
    const out = { g: {} as RawCounters, pn: {} as RawCounters };
    for (let i = 0; i < names.length; i += batch) {
      const slice = names.slice(i, i + batch);
      const [g, pn] = (await fromStore('redis', () =>
        Promise.all([
          this.redis.client.eval(READ, 0, gPrefix(region), ...slice),
          this.redis.client.eval(READ, 0, pnPrefix(region), ...slice),
        ]),
      )) as [string[][], string[][]];
      slice.forEach((name, j) => {
        if (g[j]?.length) out.g[name] = pairs(g[j]);
        if (pn[j]?.length) out.pn[name] = pairs(pn[j]);
      });
    }
    return out;
  }

  /**
   * Merges another replica's maps into this region's; per counter, the entries that differed and
   * the merged total. `epoch`: the reset epoch the maps were read in; 'stale' (nothing merged) when
   * a reset is running or ran since (undefined: only the running reset refuses).
   */
  async merge(
    region: string,
    counts: Record<string, GCounter>,
    batch: number,
    epoch?: number,
  ): Promise<Record<string, { differing: number; total: number }> | 'stale'> {
    return this.mergeFields(gNames(region), gPrefix(region), counts, batch, epoch);
  }

  /** The reset epoch now, and whether a reset is running (then no round should start). */
  resetFence(): Promise<ResetFence> {
    return readResetFence(this.redis);
  }

  async pnAdd(
    region: string,
    node: string,
    name: string,
    sign: 'p' | 'n',
    amount: number,
    maxEntry: number,
  ): Promise<boolean> {
    const status = await fromStore('redis', () =>
      this.redis.client.eval(
        PN_ADD,
        2,
        pnKey(region, name),
        pnNames(region),
        `${sign}:${node}`,
        String(amount),
        name,
        String(maxEntry),
      ),
    );
    return status === 0;
  }

  async pnRead(region: string, name: string): Promise<Record<string, string> | null> {
    const hash = await fromStore('redis', () => this.redis.client.hgetall(pnKey(region, name)));
    return Object.keys(hash).length === 0 ? null : hash;
  }

  async pnMerge(
    region: string,
    counts: Record<string, PNCounter>,
    batch: number,
    epoch?: number,
  ): Promise<'stale' | undefined> {
    const flat = Object.fromEntries(
      Object.entries(counts).map(([name, c]): [string, Record<string, number>] => [
        name,
        {
          ...Object.fromEntries(Object.entries(c.p ?? {}).map(([node, n]) => [`p:${node}`, n])),
          ...Object.fromEntries(Object.entries(c.n ?? {}).map(([node, n]) => [`n:${node}`, n])),
        },
      ]),
    );
    return (await this.mergeFields(pnNames(region), pnPrefix(region), flat, batch, epoch)) === 'stale'
      ? 'stale'
      : undefined;
  }

  private async mergeFields(
    namesKey: string,
    prefix: string,
    counts: Record<string, Readonly<Record<string, number>>>,
    batch: number,
    epoch: number | undefined,
  ): Promise<Record<string, { differing: number; total: number }> | 'stale'> {
    const entries = Object.entries(counts).filter(([, map]) => Object.keys(map).length > 0);
    const merged: Record<string, { differing: number; total: number }> = {};
    const fence = epoch === undefined ? '' : String(epoch);
    for (let i = 0; i < entries.length; i += batch) {
      const args = entries
        .slice(i, i + batch)
        .flatMap(([name, map]) => [
          name,
          String(Object.keys(map).length),
          ...Object.entries(map).flatMap(([f, n]) => [f, String(n)]),
        ]);
      const out = (await fromStore('redis', () =>
        this.redis.client.eval(MERGE, 3, namesKey, RESET_EPOCH, RESET_RUNNING, prefix, fence, ...args),
      )) as Array<string | number> | number;
      if (out === -1) return 'stale';
      if (typeof out === 'number') throw new Error(`unexpected merge answer ${out}`);
      for (let j = 0; j < out.length; j += 3)
        merged[String(out[j])] = { differing: Number(out[j + 1]), total: Number(out[j + 2]) };
    }
    return merged;
  }
}

function pairs(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

const gPrefix = (region: string) => `counter:${region}:g:`;
const gKey = (region: string, name: string) => gPrefix(region) + name;
const gNames = (region: string) => `counter:${region}:g-names`;
const pnPrefix = (region: string) => `counter:${region}:pn:`;
const pnKey = (region: string, name: string) => pnPrefix(region) + name;
const pnNames = (region: string) => `counter:${region}:pn-names`;
const idemKey = (region: string, key: string) => `counter:${region}:idempotency:${key}`;
