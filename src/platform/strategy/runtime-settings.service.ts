import { Injectable } from '@nestjs/common';
import { RedisService } from '../redis/redis.service';
import { SettingsBus } from './settings-bus.service';

const SETTINGS_KEY = 'labs:runtime-settings';

/**
 * Runtime settings of a lab (delays, barrier, partitions, crash points) as one JSON document per
 * (lab, name) in Redis, so several instances agree. Partial updates merge into what is stored;
 * a null field, like a missing one, leaves the setting as it is (a stored null would otherwise
 * reach a delay or a barrier as its value). Every write raises `lab.settings.changed` in every
 * process (SettingsBus), for what a lab builds from a setting.
 */
@Injectable()
export class RuntimeSettingsService {
  constructor(
    private readonly redis: RedisService,
    private readonly bus: SettingsBus,
  ) {}

  async get<T extends object>(lab: string, name: string, defaults: T): Promise<T> {
    const raw = await this.redis.client.hget(SETTINGS_KEY, `${lab}:${name}`);
    return raw === null ? { ...defaults } : { ...defaults, ...present(JSON.parse(raw) as Partial<T>) };
  }

  async patch<T extends object>(lab: string, name: string, defaults: T, changes: Partial<T>): Promise<T> {
    const next = { ...(await this.get(lab, name, defaults)), ...present(changes) };
    await this.redis.client.hset(SETTINGS_KEY, `${lab}:${name}`, JSON.stringify(next));
    await this.bus.settingsChanged({ lab, name });
    return next;
  }

  async reset(lab: string, name: string): Promise<void> {
    await this.redis.client.hdel(SETTINGS_KEY, `${lab}:${name}`);
    await this.bus.settingsChanged({ lab, name });
  }

  /** Every setting of the lab back to its default; answers the names that were set. */
  async resetLab(lab: string): Promise<string[]> {
    const fields = (await this.redis.client.hkeys(SETTINGS_KEY)).filter((f) => f.startsWith(`${lab}:`));
    if (fields.length > 0) await this.redis.client.hdel(SETTINGS_KEY, ...fields);
    await this.bus.settingsChanged({ lab, name: '*' });
    return fields.map((f) => f.slice(lab.length + 1)).sort();
  }
}

function present<T extends object>(changes: Partial<T>): Partial<T> {
  return Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}
