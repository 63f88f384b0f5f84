import { Injectable } from '@nestjs/common';
import type { Span } from '@opentelemetry/api';
import { delay } from '../../../platform/faults';
import { withSpan } from '../../../platform/observability/tracing';
import { StrategySelectionService } from '../../../platform/strategy';
import { BOOKING_LAB, BookingSettings, SEAT_LOCKING_PORT } from '../booking.config';
import { BookingErrorCode, BookingException } from '../booking.errors';
import { BookingMetrics } from '../booking.metrics';
import { BookingRepository } from '../persistence/booking.repository';
import { EventRepository } from '../persistence/event.repository';
import {
  ReservationContext,
  ReservationOutcome,
  SeatLockingKey,
  SeatLockingPort,
  SeatRef,
} from '../strategies/seat-locking.port';
import { BookingSettingsService } from './booking-settings.service';

export interface BookSeatCommand {
  eventId: number;
  seatNumber: string;
  customerId: string;
}

/** The seed's response shapes (docs/seed-contracts.md), keys in the seed's order; extras come last. */
export type BookSeatResult =
  | {
      status: 'confirmed';
      message: string;
      customer_id: string;
      strategy: string;
      attempts?: number;
      fencing_token?: number;
    }
  | { status: 'failed'; message: string; strategy: string; reason: string; customer_id: string }
  | { status: 'double_booked'; message: string; booking_count: number; strategy: string; customer_id: string };

/**
 * Books a seat with the strategy selected right now (or the one a comparison asks for), then
 * records the attempt whatever happened, so `totals` always counts every request.
 */
@Injectable()
export class BookSeatService {
  constructor(
    private readonly selection: StrategySelectionService,
    private readonly events: EventRepository,
    private readonly bookings: BookingRepository,
    private readonly settings: BookingSettingsService,
    private readonly metrics: BookingMetrics,
  ) {}

  async book(command: BookSeatCommand, strategyKey?: string): Promise<BookSeatResult> {
    const started = performance.now();
    const requested = strategyKey === undefined ? undefined : this.instance(strategyKey);
    const attributes = { event_id: command.eventId, seat_number: command.seatNumber, customer_id: command.customerId };
    return withSpan('book_seat', attributes, async (span) => {
      // Issued in one tick: the strategy selection, the settings and the pause fault leave for
      // Redis as one pipelined write, while the seat lookup goes to PostgreSQL.
      const selection = requested ? Promise.resolve(requested) : this.resolve();
      let key = strategyKey;
      try {
        const [selected, settings, pausesLeft, seat] = await Promise.all([
          selection,
          this.settings.current(),
          this.settings.pausesRemaining(),
          this.findSeat(command),
        ]);
        key = selected.key;
        span.setAttribute('strategy', key);
        const outcome = await selected.strategy.reserve(
          seat,
          command.customerId,
          this.context(settings, pausesLeft, span),
        );
        const durationMs = performance.now() - started;
        const result = await this.record(seat, command.customerId, key, outcome, durationMs);
        this.observe(key, outcome, result, durationMs / 1000, span);
        return result;
      } catch (err) {
        key ??= await selection.then(
          (s) => s.key,
          () => 'unresolved',
        );
        this.metrics.booking(key, 'error');
        span.setAttribute('booking.outcome', 'error');
        throw err;
      }
    });
  }

  private async resolve(): Promise<{ key: string; strategy: SeatLockingPort }> {
    return this.selection.resolve<SeatLockingPort>(BOOKING_LAB, SEAT_LOCKING_PORT);
  }

  private instance(key: string): { key: string; strategy: SeatLockingPort } {
    const found = this.selection.instances<SeatLockingPort>(BOOKING_LAB, SEAT_LOCKING_PORT).find((s) => s.key === key);
    if (!found) {
      throw new BookingException(BookingErrorCode.UnknownStrategy, `Unknown strategy "${key}"`, 'invalid');
    }
    return found;
  }

  private async findSeat(command: BookSeatCommand): Promise<SeatRef> {
    const seat = await this.events.findSeatRef(command.eventId, command.seatNumber);
    if (seat) return seat;
    if (!(await this.events.findEvent(command.eventId))) throw BookingException.eventNotFound(command.eventId);
    throw BookingException.seatNotFound(command.eventId, command.seatNumber);
  }

  private context(settings: BookingSettings, pausesLeft: number, span: Span): ReservationContext {
    return {
      settings,
      raceWindow: async () => {
        await delay(settings.race_window_ms);
        const pauseMs = await this.settings.takePause(pausesLeft);
        if (pauseMs > 0) {
          span.setAttribute('fault.paused_ms', pauseMs);
          await delay(pauseMs);
        }
      },
    };
  }

  private async record(
    seat: SeatRef,
    customerId: string,
    strategy: string,
    outcome: ReservationOutcome,
    durationMs: number,
  ): Promise<BookSeatResult> {
    const attempt = { seat, customerId, strategy, durationMs };
    const s = seat.seatNumber;
    switch (outcome.status) {
      case 'reserved': {
        const recorded = await this.bookings.recordSuccess(attempt);
        if (recorded.status === 'double_booked') {
          return {
            status: 'double_booked',
            message: `WARNING: Double booking detected for seat ${s}!`,
            booking_count: recorded.bookingCount,
            strategy,
            customer_id: customerId,
          };
        }
        return {
          status: 'confirmed',
          message: `Seat ${s} booked successfully`,
          customer_id: customerId,
          strategy,
          ...(strategy === SeatLockingKey.Optimistic ? { attempts: outcome.attempts } : {}),
          ...(outcome.fencingToken !== undefined ? { fencing_token: outcome.fencingToken } : {}),
        };
      }
      case 'already_booked':
        await this.bookings.recordFailure(attempt, 'already_booked');
        return this.failed(strategy, customerId, 'already_booked', `Seat ${s} already booked by ${outcome.bookedBy}`);
      case 'rejected': {
        await this.bookings.recordFailure(attempt, outcome.reason);
        const message = {
          lock_not_acquired: `Could not acquire lock for seat ${s}`,
          retries_exhausted: `Could not book seat ${s} after ${outcome.attempts} attempts (contention)`,
          stale_token: `Lock for seat ${s} was lost to a newer holder; fencing token ${outcome.fencingToken} rejected`,
        }[outcome.reason];
        return this.failed(strategy, customerId, outcome.reason, message);
      }
    }
  }

  private failed(strategy: string, customerId: string, reason: string, message: string): BookSeatResult {
    return { status: 'failed', message, strategy, reason, customer_id: customerId };
  }

  private observe(
    strategy: string,
    outcome: ReservationOutcome,
    result: BookSeatResult,
    seconds: number,
    span: Span,
  ): void {
    this.metrics.booking(strategy, result.status, seconds);
    if (result.status === 'double_booked') this.metrics.doubleBooking(strategy);
    if (outcome.contended) this.metrics.contention(strategy);
    this.metrics.optimisticRetries(strategy, outcome.retries);
    if (outcome.status === 'rejected' && outcome.reason === 'stale_token') this.metrics.fencingRejection(strategy);
    if (outcome.lockExpired) this.metrics.lockExpired(strategy);
    span.setAttributes({
      'booking.outcome': result.status,
      'booking.attempts': outcome.attempts,
      ...(outcome.status === 'rejected' ? { 'booking.reason': outcome.reason } : {}),
      ...(outcome.fencingToken !== undefined ? { 'booking.fencing_token': outcome.fencingToken } : {}),
      ...(outcome.lockExpired ? { 'booking.lock_expired': true } : {}),
    });
  }
}
