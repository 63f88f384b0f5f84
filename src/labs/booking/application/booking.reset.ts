import { Injectable } from '@nestjs/common';
import { LabResetHook, LabResetProvider } from '../../../platform/reset/lab-reset.contract';
import { BOOKING_LAB, SEED_EVENT_ID } from '../booking.config';
import { BookingAdminService } from './booking-admin.service';
import { BookingSettingsService } from './booking-settings.service';

/** Booking's part of the one reset: the seed event's seats free, its bookings gone, no armed pause. */
@Injectable()
@LabResetProvider()
export class BookingReset extends LabResetHook {
  readonly lab = BOOKING_LAB;

  constructor(
    private readonly admin: BookingAdminService,
    private readonly settings: BookingSettingsService,
  ) {
    super();
  }

  async reset(): Promise<Record<string, unknown>> {
    await this.settings.disarmPauseFault();
    await this.settings.restoreDefaults();
    const { message } = await this.admin.reset(SEED_EVENT_ID);
    return { event_id: SEED_EVENT_ID, message, pause_holder: 'disarmed', settings: 'defaults' };
  }
}
