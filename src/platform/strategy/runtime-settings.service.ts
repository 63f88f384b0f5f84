import { Injectable } from '@nestjs/common';
import { RedisService } from '../redis/redis.service';

const SETTINGS_KEY = 'labs:runtime-settings';

/**
 * Runtime settings of a lab (delays, barrier, partitions, crash points) as one JSON document per
 * (lab, name) in Redis, so several instances agree. Partial updates merge into what is stored.
 */
@Injectable()
export class RuntimeSettingsService {
  constructor(private readonly redis: RedisService) {}

  async get<T extends object>(lab: string, name: string, defaults: T): Promise<T> {
    const raw = await this.redis.client.hget(SETTINGS_KEY, `${lab}:${name}`);
    return raw === null ? { ...defaults } : { ...defaults, ...(JSON.parse(raw) as Partial<T>) };
  }

  async patch<T extends object>(lab: string, name: string, defaults: T, changes: Partial<T>): Promise<T> {
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as Partial<T>;
    const next = { ...(await this.get(lab, name, defaults)), ...defined };
    await this.redis.client.hset(SETTINGS_KEY, `${lab}:${name}`, JSON.stringify(next));
    return next;
  }

  async reset(lab: string, name: string): Promise<void> {
    await this.redis.client.hdel(SETTINGS_KEY, `${lab}:${name}`);
  }
}
