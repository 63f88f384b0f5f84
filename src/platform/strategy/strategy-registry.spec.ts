import { EventEmitter2 } from '@nestjs/event-emitter';
import type { DiscoveryService } from '@nestjs/core';
import { LabException } from '../http/lab-exception';
import type { RedisService } from '../redis/redis.service';
import { StrategyRegistry, StrategyRegistryError } from './strategy-registry';
import { SettingsBus } from './settings-bus.service';
import { STRATEGY_CHANGED, StrategySelectionService } from './strategy-selection.service';

const meta = (key: string, isDefault = false) => ({ lab: 'booking', port: 'seat-locking', key, isDefault });

function registry(entries: Array<ReturnType<typeof meta>>): StrategyRegistry {
  const r = new StrategyRegistry({} as DiscoveryService);
  r.registerAll(entries.map((m) => ({ meta: m, instance: { name: m.key } })));
  return r;
}

/** A hash held in a Map: enough for the selection logic, which is what is under test here. */
function fakeRedis(): RedisService {
  const hash = new Map<string, string>();
  return {
    client: {
      hget: async (_k: string, f: string) => hash.get(f) ?? null,
      hset: async (_k: string, f: string, v: string) => hash.set(f, v),
      hdel: async (_k: string, ...fs: string[]) => fs.forEach((f) => hash.delete(f)),
      publish: async () => 0,
      options: { db: 0 },
    },
  } as unknown as RedisService;
}

describe('StrategyRegistry', () => {
  it('fails on a duplicate key', () => {
    expect(() => registry([meta('none', true), meta('none')])).toThrow(StrategyRegistryError);
  });

  it('fails without exactly one default', () => {
    expect(() => registry([meta('none'), meta('pessimistic')])).toThrow(/exactly one default/);
    expect(() => registry([meta('none', true), meta('pessimistic', true)])).toThrow(/exactly one default/);
  });
});

describe('StrategySelectionService', () => {
  it('starts at the default, validates and persists a change, and emits an event', async () => {
    const events = new EventEmitter2();
    const seen: unknown[] = [];
    events.on(STRATEGY_CHANGED, (e) => seen.push(e));
    const redis = fakeRedis();
    const selection = new StrategySelectionService(
      registry([meta('none', true), meta('pessimistic')]),
      redis,
      new SettingsBus(redis, events),
    );
    expect(await selection.current('booking', 'seat-locking')).toBe('none');
    await expect(selection.select('booking', 'seat-locking', 'fast')).rejects.toThrow(LabException);
    await selection.select('booking', 'seat-locking', 'pessimistic');
    const { key, strategy } = await selection.resolve<{ name: string }>('booking', 'seat-locking');
    expect(key).toBe('pessimistic');
    expect(strategy.name).toBe('pessimistic');
    expect(seen).toEqual([{ lab: 'booking', port: 'seat-locking', from: 'none', to: 'pessimistic' }]);
    await selection.resetLab('booking');
    expect(await selection.current('booking', 'seat-locking')).toBe('none');
  });
});
