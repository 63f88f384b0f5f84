import { Injectable } from '@nestjs/common';
import { RedisService } from '../../../platform/redis/redis.service';
import { RuntimeSettingsService } from '../../../platform/strategy';
import {
  BOOKING_LAB,
  BOOKING_SETTINGS_NAME,
  BookingSettings,
  DEFAULT_BOOKING_SETTINGS,
  DEFAULT_PAUSE_FAULT,
  PAUSE_FAULT_NAME,
  PauseHolderFault,
} from '../booking.config';

/** How many of the next critical sections still have to pause; DECR makes taking one atomic. */
const PAUSES_REMAINING_KEY = 'booking:fault:pause-holder:remaining';

export interface PauseHolderFaultState extends PauseHolderFault {
  remaining: number;
}

/**
 * The lab's runtime knobs (race window, lock TTL, optimistic retries) and the pause-the-holder
 * fault, stored in Redis so every instance uses the same values; read on every request.
 */
@Injectable()
export class BookingSettingsService {
  constructor(
    private readonly settings: RuntimeSettingsService,
    private readonly redis: RedisService,
  ) {}

  current(): Promise<BookingSettings> {
    return this.settings.get(BOOKING_LAB, BOOKING_SETTINGS_NAME, DEFAULT_BOOKING_SETTINGS);
  }

  update(changes: Partial<BookingSettings>): Promise<BookingSettings> {
    return this.settings.patch(BOOKING_LAB, BOOKING_SETTINGS_NAME, DEFAULT_BOOKING_SETTINGS, changes);
  }

  async restoreDefaults(): Promise<BookingSettings> {
    await this.settings.reset(BOOKING_LAB, BOOKING_SETTINGS_NAME);
    return this.current();
  }

  async pauseFault(): Promise<PauseHolderFaultState> {
    const [fault, remaining] = await Promise.all([
      this.settings.get(BOOKING_LAB, PAUSE_FAULT_NAME, DEFAULT_PAUSE_FAULT),
      this.redis.client.get(PAUSES_REMAINING_KEY),
    ]);
    return { ...fault, remaining: Math.max(0, Number(remaining ?? 0)) };
  }

  async armPauseFault(pauseMs: number, holders: number): Promise<PauseHolderFaultState> {
    await this.settings.patch(BOOKING_LAB, PAUSE_FAULT_NAME, DEFAULT_PAUSE_FAULT, { pause_ms: pauseMs });
    await this.redis.client.set(PAUSES_REMAINING_KEY, holders);
    return this.pauseFault();
  }

  async disarmPauseFault(): Promise<PauseHolderFaultState> {
    await this.redis.client.del(PAUSES_REMAINING_KEY);
    await this.settings.reset(BOOKING_LAB, PAUSE_FAULT_NAME);
    return this.pauseFault();
  }

  /** How many armed pauses are left (0 when the fault is off); read with the request's other Redis reads. */
  async pausesRemaining(): Promise<number> {
    return Math.max(0, Number((await this.redis.client.get(PAUSES_REMAINING_KEY)) ?? 0));
  }

  /**
   * Takes one pause if any is left: returns how long this critical section must stall (0 when
   * none). `remaining` is what `pausesRemaining` read at the start of the request: when it was 0
   * nothing is asked of Redis; otherwise DECR decides atomically which critical sections pause.
   */
  async takePause(remaining: number): Promise<number> {
    if (remaining <= 0) return 0;
    const left = await this.redis.client.decr(PAUSES_REMAINING_KEY);
    if (left < 0) return 0;
    const fault = await this.settings.get(BOOKING_LAB, PAUSE_FAULT_NAME, DEFAULT_PAUSE_FAULT);
    return fault.pause_ms;
  }
}
