import { Injectable } from '@nestjs/common';
import { RedisService } from '../redis/redis.service';
import { LabException } from '../http/lab-exception';
import { SettingsBus } from './settings-bus.service';
import { STRATEGY_CHANGED, StrategyChangedEvent } from './settings-events';
import { StrategyRegistry, portId } from './strategy-registry';

export { STRATEGY_CHANGED };
export type { StrategyChangedEvent };

const SELECTION_KEY = 'labs:strategy-selection';

/**
 * The current strategy per (lab, port). The selection lives in Redis so several app instances
 * agree on it; use cases call `resolve` on every request and nothing caches the answer. A change
 * raises `lab.strategy.changed` in every process (SettingsBus), for what a lab builds from it.
 */
@Injectable()
export class StrategySelectionService {
  constructor(
    private readonly registry: StrategyRegistry,
    private readonly redis: RedisService,
    private readonly bus: SettingsBus,
  ) {}

  async current(lab: string, port: string): Promise<string> {
    const registered = this.registry.port(lab, port);
    const stored = await this.redis.client.hget(SELECTION_KEY, portId(lab, port));
    return stored !== null && registered.strategies.has(stored) ? stored : registered.defaultKey;
  }

  /** The active strategy instance and its key. */
  async resolve<T>(lab: string, port: string): Promise<{ key: string; strategy: T }> {
    const key = await this.current(lab, port);
    return { key, strategy: this.registry.port(lab, port).strategies.get(key)!.instance as T };
  }

  /** Every strategy of the port, for comparisons that run each one in turn. */
  instances<T>(lab: string, port: string): Array<{ key: string; strategy: T }> {
    return [...this.registry.port(lab, port).strategies].map(([key, s]) => ({ key, strategy: s.instance as T }));
  }

  keys(lab: string, port: string): string[] {
    return [...this.registry.port(lab, port).strategies.keys()];
  }

  async select(lab: string, port: string, key: string): Promise<StrategyChangedEvent> {
    if (!this.registry.hasPort(lab, port)) {
      throw new LabException('ADMIN.UNKNOWN_PORT', `Lab ${lab} has no strategy port "${port}"`, 'not_found');
    }
    const allowed = this.keys(lab, port);
    if (!allowed.includes(key)) {
      throw new LabException(
        'ADMIN.UNKNOWN_STRATEGY',
        `Unknown strategy "${key}" for ${lab} ${port}. Allowed: ${allowed.join(', ')}`,
        'invalid',
        { allowed },
      );
    }
    const from = await this.current(lab, port);
    await this.redis.client.hset(SELECTION_KEY, portId(lab, port), key);
    const event: StrategyChangedEvent = { lab, port, from, to: key };
    await this.bus.strategyChanged(event);
    return event;
  }

  /** Back to every port's default (used by tests and lab resets). */
  async resetLab(lab: string): Promise<void> {
    const fields = this.registry
      .all()
      .filter((p) => p.lab === lab)
      .map((p) => portId(p.lab, p.port));
    if (fields.length > 0) await this.redis.client.hdel(SELECTION_KEY, ...fields);
    await this.bus.settingsChanged({ lab, name: '*' });
  }
}
