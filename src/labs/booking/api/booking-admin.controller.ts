import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { nodeRoute } from '../../../platform/config/lab-plan';
import { BookingAdminService } from '../application/booking-admin.service';
import { BookingSettingsService } from '../application/booking-settings.service';
import { CompareStrategiesService } from '../application/compare-strategies.service';
import { BOOKING_LAB, BOOKING_NODE, SEED_EVENT_ID } from '../booking.config';
import { CompareStrategiesRequestDto } from './dto/compare-strategies.request.dto';
import { EventFilterQueryDto } from './dto/event-filter.query.dto';
import { PauseHolderFaultRequestDto } from './dto/pause-holder-fault.request.dto';
import { SelectStrategyRequestDto } from './dto/select-strategy.request.dto';
import { UpdateSettingsRequestDto } from './dto/update-settings.request.dto';
import { ApiErrors } from '../../../platform/http/openapi';

/** The seed's admin endpoints, plus runtime settings, the pause fault and the strategy comparison. */
@ApiTags('booking')
@Controller(nodeRoute(BOOKING_LAB, BOOKING_NODE))
export class BookingAdminController {
  constructor(
    private readonly admin: BookingAdminService,
    private readonly settings: BookingSettingsService,
    private readonly comparison: CompareStrategiesService,
  ) {}

  @Get('admin/strategy')
  @ApiOperation({ summary: 'The current seat-locking strategy' })
  async strategy() {
    return { strategy: await this.admin.currentStrategy() };
  }

  @Post('admin/strategy')
  @HttpCode(200)
  @ApiOperation({ summary: 'Switch the seat-locking strategy (persisted in Redis; /admin/labs shows the same)' })
  selectStrategy(@Body() body: SelectStrategyRequestDto) {
    return this.admin.selectStrategy(body.strategy);
  }

  @Post('admin/reset')
  @ApiErrors(404)
  @HttpCode(200)
  @ApiOperation({ summary: 'Free every seat of the event (default 1, restored to the seed) and delete its bookings' })
  reset(@Query() query: EventFilterQueryDto) {
    return this.admin.reset(query.event_id ?? SEED_EVENT_ID);
  }

  @Get('admin/double-bookings')
  @ApiOperation({ summary: 'Seats held by more than one successful booking; count is a bare number' })
  doubleBookings(@Query() query: EventFilterQueryDto) {
    return this.admin.doubleBookings(query.event_id);
  }

  @Get('admin/stats')
  @ApiOperation({ summary: 'Attempts by status, per strategy with p50/p99 latency, and the current strategy' })
  stats(@Query() query: EventFilterQueryDto) {
    return this.admin.stats(query.event_id);
  }

  @Get('admin/settings')
  @ApiOperation({ summary: 'Runtime settings: race window, lock TTL, optimistic attempts and back-off' })
  currentSettings() {
    return this.settings.current();
  }

  @Post('admin/settings')
  @HttpCode(200)
  @ApiOperation({ summary: 'Change runtime settings (partial update, shared by every instance)' })
  updateSettings(@Body() body: UpdateSettingsRequestDto) {
    return this.settings.update(body);
  }

  @Delete('admin/settings')
  @ApiOperation({ summary: 'Restore the default runtime settings' })
  restoreSettings() {
    return this.settings.restoreDefaults();
  }

  @Get('admin/faults')
  @ApiOperation({ summary: 'Armed faults' })
  async faults() {
    return { pause_holder: await this.settings.pauseFault() };
  }

  @Post('admin/faults/pause-holder')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Pause the next lock holder(s) for pause_ms inside the critical section (set it above lock_ttl_ms)',
  })
  async armPause(@Body() body: PauseHolderFaultRequestDto) {
    return { pause_holder: await this.settings.armPauseFault(body.pause_ms, body.holders ?? 1) };
  }

  @Delete('admin/faults/pause-holder')
  @ApiOperation({ summary: 'Disarm the pause-the-holder fault' })
  async disarmPause() {
    return { pause_holder: await this.settings.disarmPauseFault() };
  }

  @Post('admin/compare')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Run the same-seat attack against every strategy server-side: confirmed, failed, double bookings, p50/p99',
  })
  compare(@Body() body: CompareStrategiesRequestDto) {
    return this.comparison.compare({
      eventId: body.event_id ?? SEED_EVENT_ID,
      seatNumber: body.seat_number ?? 'A1',
      requests: body.requests ?? 20,
      strategies: body.strategies,
    });
  }
}
