import { Injectable } from '@nestjs/common';
import { RedisService } from '../../../platform/redis/redis.service';
import { fromStore } from '../counter.errors';
import { GCounter } from '../crdt/g-counter';
import { PNCounter } from '../crdt/pn-counter';

export interface IncrementRecord {
  counter: string;
  amount: number;
  local_count: number;
  total_count: number;
}

export interface IncrementOutcome {
  record: IncrementRecord;
  /** True when the idempotency key had been seen: nothing was counted this time. */
  replayed: boolean;
}

/**
 * Increment this node's entry, and with an idempotency key remember the answer in the same
 * atomic step: a retry (even a concurrent one) finds the record and counts nothing.
 */
const INCREMENT = `
local useKey = ARGV[5] == '1'
if useKey then
  local prior = redis.call('GET', KEYS[3])
  if prior then return {1, prior} end
end
local localCount = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
local total = 0
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do total = total + tonumber(v) end
local record = cjson.encode({counter = ARGV[3], amount = tonumber(ARGV[2]), local_count = localCount, total_count = total})
if useKey then redis.call('SET', KEYS[3], record, 'EX', ARGV[4]) end
return {0, record}
`;

/** Every counter of a region in one round trip: `{name: {field: count}}` as JSON. */
const SNAPSHOT = `
local out = {}
for _, name in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local flat = redis.call('HGETALL', ARGV[1] .. name)
  if #flat > 0 then
    local map = {}
    for i = 1, #flat, 2 do map[flat[i]] = tonumber(flat[i + 1]) end
    out[name] = map
  end
end
if next(out) == nil then return '{}' end
return cjson.encode(out)
`;

/**
 * The G-Counter merge, in Redis, for a whole incoming state: raise each entry to the incoming
 * value when that is larger (per-node max). One script, so it is atomic against local
 * increments (HINCRBY) and costs one round trip however many counters there are.
 * Answers, per incoming counter, the entries that differed and the merged total.
 */
const MERGE = `
local incoming = cjson.decode(ARGV[2])
local out = {}
for name, map in pairs(incoming) do
  local key = ARGV[1] .. name
  local differing = 0
  local wrote = false
  for node, n in pairs(map) do
    local current = redis.call('HGET', key, node)
    if current then
      current = tonumber(current)
      if current ~= n then differing = differing + 1 end
      if n > current then redis.call('HSET', key, node, string.format('%d', n)); wrote = true end
    elseif n > 0 then
      redis.call('HSET', key, node, string.format('%d', n)); wrote = true
    end
  end
  local total = 0
  for _, v in ipairs(redis.call('HVALS', key)) do total = total + tonumber(v) end
  if wrote then redis.call('SADD', KEYS[1], name) end
  out[name] = {differing, total}
end
if next(out) == nil then return '{}' end
return cjson.encode(out)
`;

const PN_ADD = `
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return n
`;

/**
 * Each region's CRDT state in Redis: a hash per (region, counter) mapping node id → count, and
 * a set of the region's counter names. Redis is the region's disk: a restarted node finds its
 * counts again. Regions never read each other's keys; they learn of one another only by sync.
 */
@Injectable()
export class RegionStateRepository {
  constructor(private readonly redis: RedisService) {}

  async increment(region: string, node: string, name: string, amount: number, idempotencyKey?: string, ttlSeconds = 86400): Promise<IncrementOutcome> {
    const keys = [gKey(region, name), gNames(region), idemKey(region, idempotencyKey ?? '')];
    const args = [node, String(amount), name, String(ttlSeconds), idempotencyKey ? '1' : '0'];
    const [replayed, raw] = (await fromStore('redis', () => this.redis.client.eval(INCREMENT, keys.length, ...keys, ...args))) as [number, string];
    return { record: JSON.parse(raw) as IncrementRecord, replayed: replayed === 1 };
  }

  /** The node map of a counter, or null when this region has never heard of it (reads create nothing). */
  async read(region: string, name: string): Promise<GCounter | null> {
    const hash = await fromStore('redis', () => this.redis.client.hgetall(gKey(region, name)));
    return Object.keys(hash).length === 0 ? null : toCounts(hash);
  }

  async snapshot(region: string): Promise<Record<string, GCounter>> {
    const raw = await fromStore('redis', () => this.redis.client.eval(SNAPSHOT, 1, gNames(region), gPrefix(region)));
    return JSON.parse(raw as string) as Record<string, GCounter>;
  }

  /** Merges another replica's maps into this region's; per counter, the entries that differed and the merged total. */
  async merge(region: string, counts: Record<string, GCounter>): Promise<Record<string, { differing: number; total: number }>> {
    const nonEmpty = Object.fromEntries(Object.entries(counts).filter(([, map]) => Object.keys(map).length > 0));
    if (Object.keys(nonEmpty).length === 0) return {};
    const raw = (await fromStore('redis', () => this.redis.client.eval(MERGE, 1, gNames(region), gPrefix(region), JSON.stringify(nonEmpty)))) as string;
    const merged = JSON.parse(raw) as Record<string, [number, number]>;
    return Object.fromEntries(Object.entries(merged).map(([name, [differing, total]]) => [name, { differing, total }]));
  }

  async pnAdd(region: string, node: string, name: string, sign: 'p' | 'n', amount: number): Promise<void> {
    await fromStore('redis', () => this.redis.client.eval(PN_ADD, 2, pnKey(region, name), pnNames(region), `${sign}:${node}`, String(amount), name));
  }

  async pnRead(region: string, name: string): Promise<PNCounter | null> {
    const hash = await fromStore('redis', () => this.redis.client.hgetall(pnKey(region, name)));
    return Object.keys(hash).length === 0 ? null : toPn(hash);
  }

  async pnSnapshot(region: string): Promise<Record<string, PNCounter>> {
    const raw = JSON.parse((await fromStore('redis', () => this.redis.client.eval(SNAPSHOT, 1, pnNames(region), pnPrefix(region)))) as string) as Record<
      string,
      Record<string, number>
    >;
    return Object.fromEntries(Object.entries(raw).map(([name, fields]) => [name, toPn(fields)]));
  }

  async pnMerge(region: string, counts: Record<string, PNCounter>): Promise<void> {
    const flat = Object.fromEntries(
      Object.entries(counts)
        .map(([name, c]): [string, Record<string, number>] => [
          name,
          {
            ...Object.fromEntries(Object.entries(c.p ?? {}).map(([node, n]) => [`p:${node}`, n])),
            ...Object.fromEntries(Object.entries(c.n ?? {}).map(([node, n]) => [`n:${node}`, n])),
          },
        ])
        .filter(([, fields]) => Object.keys(fields).length > 0),
    );
    if (Object.keys(flat).length === 0) return;
    await fromStore('redis', () => this.redis.client.eval(MERGE, 1, pnNames(region), pnPrefix(region), JSON.stringify(flat)));
  }
}

const gPrefix = (region: string) => `counter:${region}:g:`;
const gKey = (region: string, name: string) => gPrefix(region) + name;
const gNames = (region: string) => `counter:${region}:g-names`;
const pnPrefix = (region: string) => `counter:${region}:pn:`;
const pnKey = (region: string, name: string) => pnPrefix(region) + name;
const pnNames = (region: string) => `counter:${region}:pn-names`;
const idemKey = (region: string, key: string) => `counter:${region}:idempotency:${key}`;

function toCounts(hash: Record<string, string>): GCounter {
  return Object.fromEntries(Object.entries(hash).map(([node, n]) => [node, Number(n)]));
}

function toPn(hash: Record<string, string | number>): PNCounter {
  const p: Record<string, number> = {};
  const n: Record<string, number> = {};
  for (const [field, value] of Object.entries(hash)) {
    const [sign, ...node] = field.split(':');
    (sign === 'p' ? p : n)[node.join(':')] = Number(value);
  }
  return { p, n };
}
