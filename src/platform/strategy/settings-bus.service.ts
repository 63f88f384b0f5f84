import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RedisService } from '../redis/redis.service';
import { SETTINGS_CHANGED, STRATEGY_CHANGED, SettingsChangedEvent, StrategyChangedEvent } from './settings-events';

/** What travels on the channel: which process wrote, and what it wrote. */
type Notice = { origin: string } & (
  { kind: 'strategy'; change: StrategyChangedEvent } | { kind: 'settings'; change: SettingsChangedEvent }
);

/**
 * How a settings change reaches every instance at once. Settings and strategy selections live in
 * Redis and every request reads them there, so no instance ever serves a stale one; but what a
 * process builds from a setting (a Kafka consumer built for a processing mode, an armed crash
 * point, a gauge) is rebuilt only when that process hears of the change. So every write publishes
 * a notice on a Redis channel, and every process re-emits the notices of other processes as the
 * same local events its own writes raise (`lab.strategy.changed`, `lab.settings.changed`), which
 * the lab applies: whichever instance the balancer gave the POST to, all of them follow — as a
 * deployment whose instances watch one configuration store would (Consul/etcd watches, a Redis
 * channel). A notice can be lost while a process's subscription is down, so when it comes back
 * the process hears `*` and re-applies everything from Redis.
 *
 * Redis channels are not per database: the channel name carries the database number, so two
 * deployments on one server (the tests' databases) never hear each other.
 */
@Injectable()
export class SettingsBus implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SettingsBus');
  private readonly origin = `${process.pid}-${randomUUID()}`;
  private readonly channel: string;
  private subscriber?: Redis;
  private subscribedOnce = false;

  constructor(
    private readonly redis: RedisService,
    private readonly events: EventEmitter2,
  ) {
    this.channel = `labs:settings-changed:db${redis.client.options.db ?? 0}`;
  }

  async onApplicationBootstrap(): Promise<void> {
    const subscriber = this.redis.duplicate('settings-bus');
    this.subscriber = subscriber;
    subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.received(text);
    });
    // ioredis subscribes again by itself after a reconnect; what was published meanwhile is lost, so re-apply all.
    subscriber.on('ready', () => {
      if (this.subscribedOnce) {
        this.logger.warn('subscription back after a disconnect: re-applying every setting from Redis');
        this.events.emit(SETTINGS_CHANGED, { lab: '*', name: '*' } satisfies SettingsChangedEvent);
      }
    });
    try {
      await subscriber.subscribe(this.channel);
      this.subscribedOnce = true;
    } catch (err) {
      // Boot goes on: requests read settings from Redis anyway; the next 'ready' re-applies.
      this.subscribedOnce = true;
      this.logger.warn(`could not subscribe to ${this.channel}: ${(err as Error).message}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber?.unsubscribe().catch(() => undefined);
  }

  /**
   * A runtime setting was written: raised here at once, and announced to every other process.
   * Announcing is bounded by the command timeout; a failure is logged, not thrown: the write
   * itself is in Redis already, and requests read it from there.
   */
  async settingsChanged(change: SettingsChangedEvent): Promise<void> {
    this.events.emit(SETTINGS_CHANGED, change);
    await this.publish({ origin: this.origin, kind: 'settings', change });
  }

  /** A strategy selection was written: raised here at once, and announced to every other process. */
  async strategyChanged(change: StrategyChangedEvent): Promise<void> {
    this.events.emit(STRATEGY_CHANGED, change);
    await this.publish({ origin: this.origin, kind: 'strategy', change });
  }

  private async publish(notice: Notice): Promise<void> {
    try {
      await this.redis.client.publish(this.channel, JSON.stringify(notice));
    } catch (err) {
      this.logger.warn(`could not announce a ${notice.kind} change of ${notice.change.lab}: ${(err as Error).message}`);
    }
  }

  private received(text: string): void {
    let notice: Partial<Notice>;
    try {
      notice = JSON.parse(text) as Partial<Notice>;
    } catch {
      return;
    }
    if (notice.origin === this.origin || typeof notice.change?.lab !== 'string') return;
    if (notice.kind === 'strategy') this.events.emit(STRATEGY_CHANGED, notice.change);
    else if (notice.kind === 'settings') this.events.emit(SETTINGS_CHANGED, notice.change);
  }
}
