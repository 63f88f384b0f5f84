import { Injectable } from '@nestjs/common';
import { BookingErrorCode, BookingException } from '../booking.errors';
import { BookingRepository } from '../persistence/booking.repository';
import { EventRepository } from '../persistence/event.repository';
import { BookSeatService } from './book-seat.service';
import { BookingAdminService } from './booking-admin.service';
import { BookingSettingsService } from './booking-settings.service';
import { percentile } from './percentile';
import { throwIfRequestAbandoned } from '../../../platform/http/request-context';

export interface CompareCommand {
  eventId: number;
  seatNumber: string;
  requests: number;
  strategies?: string[];
}

export interface StrategyComparison {
  strategy: string;
  confirmed: number;
  failed: number;
  double_booked: number;
  errors: number;
  /** Seats left held by more than one booking after the run (0 or 1 here: one seat is attacked). */
  double_bookings: number;
  safe: boolean;
  p50_ms: number | null;
  p99_ms: number | null;
}

/**
 * The same-seat attack, run server-side against every strategy in turn: reset the event, fire
 * `requests` bookings of one seat at once through the real use case, count what happened.
 */
@Injectable()
export class CompareStrategiesService {
  constructor(
    private readonly bookSeat: BookSeatService,
    private readonly admin: BookingAdminService,
    private readonly events: EventRepository,
    private readonly bookings: BookingRepository,
    private readonly settings: BookingSettingsService,
  ) {}

  async compare(command: CompareCommand) {
    const known = this.admin.strategies();
    const strategies = command.strategies ?? known;
    const unknown = strategies.filter((s) => !known.includes(s));
    if (unknown.length > 0) {
      throw new BookingException(
        BookingErrorCode.UnknownStrategy,
        `Unknown strategy: ${unknown.join(', ')}`,
        'invalid',
        {
          allowed: known,
        },
      );
    }
    if (!(await this.events.findSeatRef(command.eventId, command.seatNumber))) {
      if (!(await this.events.findEvent(command.eventId))) throw BookingException.eventNotFound(command.eventId);
      throw BookingException.seatNotFound(command.eventId, command.seatNumber);
    }
    const results: StrategyComparison[] = [];
    for (const strategy of strategies) {
      throwIfRequestAbandoned();
      results.push(await this.attack(strategy, command));
    }
    const { race_window_ms } = await this.settings.current();
    return {
      event_id: command.eventId,
      seat_number: command.seatNumber,
      requests: command.requests,
      race_window_ms,
      note: `The event was reset before each strategy; it now holds the ${strategies.at(-1)} run.`,
      results,
    };
  }

  private async attack(strategy: string, command: CompareCommand): Promise<StrategyComparison> {
    await this.admin.reset(command.eventId);
    const latencies: number[] = [];
    const statuses = await Promise.all(
      Array.from({ length: command.requests }, async (_, i) => {
        const started = performance.now();
        try {
          const result = await this.bookSeat.book(
            { eventId: command.eventId, seatNumber: command.seatNumber, customerId: `compare_${strategy}_${i + 1}` },
            strategy,
          );
          return result.status;
        } catch {
          return 'error' as const;
        } finally {
          latencies.push(performance.now() - started);
        }
      }),
    );
    const count = (status: string) => statuses.filter((s) => s === status).length;
    const doubleBookings = (await this.bookings.doubleBookings(command.eventId)).length;
    const round = (ms: number | null) => (ms === null ? null : Math.round(ms * 10) / 10);
    return {
      strategy,
      confirmed: count('confirmed'),
      failed: count('failed'),
      double_booked: count('double_booked'),
      errors: count('error'),
      double_bookings: doubleBookings,
      safe: doubleBookings === 0,
      p50_ms: round(percentile(latencies, 0.5)),
      p99_ms: round(percentile(latencies, 0.99)),
    };
  }
}
