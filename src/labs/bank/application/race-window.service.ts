import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Barrier, BarrierOutcome, SharedBarrier, delay } from '../../../platform/faults';
import { AppConfig } from '../../../platform/config/app-config';
import { RedisService } from '../../../platform/redis/redis.service';
import { RuntimeSettingsService } from '../../../platform/strategy';
import { BANK_LAB, BANK_SERVICE, DEFAULT_RACE_WINDOW, RACE_WINDOW_SETTINGS, RaceWindowSettings } from '../bank.config';
import { BankMetrics } from '../bank.metrics';
import type { RaceWindow } from '../strategies/transfer.port';

export interface BarrierReport {
  status: BarrierOutcome['status'];
  generation: number;
  waited_ms: number;
  /** Only when timed out: how many had arrived of how many needed. */
  arrived?: number;
  needed?: number;
}

export interface OpenedWindow {
  window: RaceWindow;
  /** What happened at the barrier, once the transfer passed it. */
  barrier(): BarrierReport | undefined;
}

const BARRIER_FIELDS: Array<keyof RaceWindowSettings> = ['barrier_enabled', 'barrier_count', 'barrier_timeout_ms'];

/**
 * The debug delay and the barrier. Their settings live in Redis (partial updates merge); the
 * barrier itself lives in this process and follows the stored count and timeout — or, under the
 * process-mode supervisor (where the bank may run as several instances), in Redis, so it releases
 * when `count` transfers have arrived across every instance.
 */
@Injectable()
export class RaceWindowService implements OnModuleInit {
  private readonly logger = new Logger(BANK_SERVICE);
  private readonly barrier = new Barrier(DEFAULT_RACE_WINDOW.barrier_count, DEFAULT_RACE_WINDOW.barrier_timeout_ms);
  private barrierTimeoutMs = DEFAULT_RACE_WINDOW.barrier_timeout_ms;
  private readonly shared?: SharedBarrier;
  /** Transfers of this process waiting at the shared barrier. */
  private sharedWaiting = 0;

  constructor(
    config: AppConfig,
    redis: RedisService,
    private readonly runtime: RuntimeSettingsService,
    private readonly metrics: BankMetrics,
  ) {
    if (config.isSupervised) {
      this.shared = new SharedBarrier(
        redis.client,
        'labs:bank:barrier',
        DEFAULT_RACE_WINDOW.barrier_count,
        DEFAULT_RACE_WINDOW.barrier_timeout_ms,
      );
    }
  }

  onModuleInit(): void {
    this.metrics.barrierWaitingNow(0);
  }

  settings(): Promise<RaceWindowSettings> {
    return this.runtime.get(BANK_LAB, RACE_WINDOW_SETTINGS, DEFAULT_RACE_WINDOW);
  }

  /** Merges `changes` into the stored settings; a barrier change releases the current waiters (as the seed did). */
  async update(changes: Partial<RaceWindowSettings>): Promise<RaceWindowSettings> {
    const next = await this.runtime.patch(BANK_LAB, RACE_WINDOW_SETTINGS, DEFAULT_RACE_WINDOW, changes);
    if (BARRIER_FIELDS.some((field) => changes[field] !== undefined)) {
      this.reconfigureBarrier(next);
      await this.shared?.reconfigure(next.barrier_count, next.barrier_timeout_ms);
    }
    return next;
  }

  async reset(): Promise<void> {
    await this.runtime.reset(BANK_LAB, RACE_WINDOW_SETTINGS);
    this.reconfigureBarrier(DEFAULT_RACE_WINDOW);
    await this.shared?.reconfigure(DEFAULT_RACE_WINDOW.barrier_count, DEFAULT_RACE_WINDOW.barrier_timeout_ms);
  }

  get waiting(): number {
    return this.shared ? this.sharedWaiting : this.barrier.waiting;
  }

  open(settings: RaceWindowSettings, transferId: string): OpenedWindow {
    let report: BarrierReport | undefined;
    const window: RaceWindow = {
      delayed: settings.delay_enabled && settings.delay_ms > 0,
      widened: (settings.delay_enabled && settings.delay_ms > 0) || settings.barrier_enabled,
      barrier: async () => {
        if (!settings.barrier_enabled) return;
        report = await this.arrive(settings, transferId);
      },
      delay: async (step) => {
        if (!settings.delay_enabled || settings.delay_ms <= 0) return;
        this.logger.log(`DEBUG DELAY: sleeping ${settings.delay_ms}ms ${step} [${transferId}]`);
        await delay(settings.delay_ms);
      },
      pause: () => delay(1),
    };
    return { window, barrier: () => report };
  }

  private async arrive(settings: RaceWindowSettings, transferId: string): Promise<BarrierReport> {
    if (this.shared) return this.arriveShared(this.shared, settings, transferId);
    if (this.barrier.size !== settings.barrier_count || this.barrierTimeoutMs !== settings.barrier_timeout_ms) {
      this.reconfigureBarrier(settings);
    }
    const started = Date.now();
    const generation = this.barrier.currentGeneration;
    const arrival = this.barrier.arrive();
    if (this.barrier.currentGeneration !== generation) {
      this.logger.log(`BARRIER RELEASED - All ${settings.barrier_count} transfers proceed NOW! [${transferId}]`);
    } else {
      this.logger.log(`Waiting at barrier (${this.barrier.waiting}/${settings.barrier_count}) [${transferId}]`);
    }
    this.metrics.barrierWaitingNow(this.barrier.waiting);
    const outcome = await arrival;
    this.metrics.barrierWaitingNow(this.barrier.waiting);
    this.metrics.barrierWait(outcome.status);
    const waited = Date.now() - started;
    if (outcome.status === 'timed_out') {
      this.logger.warn(
        `Barrier TIMED OUT after ${outcome.waitedMs}ms with ${outcome.arrived}/${outcome.needed} arrived - proceeding alone [${transferId}]`,
      );
      return {
        status: outcome.status,
        generation: outcome.generation,
        waited_ms: waited,
        arrived: outcome.arrived,
        needed: outcome.needed,
      };
    }
    this.logger.log(`Proceeding past barrier (${outcome.status}) [${transferId}]`);
    return { status: outcome.status, generation: outcome.generation, waited_ms: waited };
  }

  /** The same arrival at the Redis barrier every instance shares. */
  private async arriveShared(
    shared: SharedBarrier,
    settings: RaceWindowSettings,
    transferId: string,
  ): Promise<BarrierReport> {
    shared.follow(settings.barrier_count, settings.barrier_timeout_ms);
    const started = Date.now();
    this.sharedWaiting += 1;
    this.metrics.barrierWaitingNow(this.sharedWaiting);
    this.logger.log(`Waiting at the shared barrier (count ${settings.barrier_count}, every instance) [${transferId}]`);
    let outcome: BarrierOutcome;
    try {
      outcome = await shared.arrive();
    } finally {
      this.sharedWaiting -= 1;
      this.metrics.barrierWaitingNow(this.sharedWaiting);
    }
    this.metrics.barrierWait(outcome.status);
    const waited = Date.now() - started;
    if (outcome.status === 'timed_out') {
      return {
        status: outcome.status,
        generation: outcome.generation,
        waited_ms: waited,
        arrived: outcome.arrived,
        needed: outcome.needed,
      };
    }
    this.logger.log(`Proceeding past the shared barrier (${outcome.status}) [${transferId}]`);
    return { status: outcome.status, generation: outcome.generation, waited_ms: waited };
  }

  private reconfigureBarrier(settings: RaceWindowSettings): void {
    this.barrier.reconfigure(settings.barrier_count, settings.barrier_timeout_ms);
    this.barrierTimeoutMs = settings.barrier_timeout_ms;
    this.metrics.barrierWaitingNow(0);
  }
}
