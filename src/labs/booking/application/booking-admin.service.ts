import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { RedisService } from '../../../platform/redis/redis.service';
import { StrategySelectionService } from '../../../platform/strategy';
import { BOOKING_LAB, SEAT_LOCKING_PORT } from '../booking.config';
import { BookingException } from '../booking.errors';
import { BookingMetrics } from '../booking.metrics';
import { BookingRepository, DoubleBooking, StatusCounts, StrategyStats } from '../persistence/booking.repository';
import { EventRepository } from '../persistence/event.repository';

export interface BookingStats {
  totals: StatusCounts;
  by_strategy: StrategyStats[];
  current_strategy: string;
}

/** The seed's admin side: strategy selection, reset, and what the attempt log shows. */
@Injectable()
export class BookingAdminService implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly selection: StrategySelectionService,
    private readonly events: EventRepository,
    private readonly bookings: BookingRepository,
    private readonly redis: RedisService,
    private readonly metrics: BookingMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.metrics.initialise(this.strategies());
    this.metrics.readGaugesFrom({
      availableSeats: () => this.events.availableByEvent(),
      strategy: () => this.currentStrategy(),
    });
  }

  onApplicationShutdown(): void {
    this.metrics.stopReadingGauges();
  }

  strategies(): string[] {
    return this.selection.keys(BOOKING_LAB, SEAT_LOCKING_PORT);
  }

  currentStrategy(): Promise<string> {
    return this.selection.current(BOOKING_LAB, SEAT_LOCKING_PORT);
  }

  async selectStrategy(key: string): Promise<{ old_strategy: string; new_strategy: string }> {
    const changed = await this.selection.select(BOOKING_LAB, SEAT_LOCKING_PORT, key);
    return { old_strategy: changed.from, new_strategy: changed.to };
  }

  /** Frees the event's seats, deletes its attempts (so its stats start at zero) and drops its Redis seat locks. */
  async reset(eventId: number): Promise<{ message: string }> {
    if (!(await this.events.reset(eventId))) throw BookingException.eventNotFound(eventId);
    await this.dropSeatLocks(eventId);
    return { message: `Event ${eventId} reset successfully` };
  }

  async doubleBookings(eventId?: number): Promise<{ double_bookings: DoubleBooking[]; count: number }> {
    const found = await this.bookings.doubleBookings(eventId);
    return { double_bookings: found, count: found.length };
  }

  async stats(eventId?: number): Promise<BookingStats> {
    const [totals, byStrategy, current] = await Promise.all([
      this.bookings.totals(eventId),
      this.bookings.byStrategy(eventId),
      this.currentStrategy(),
    ]);
    return { totals, by_strategy: byStrategy, current_strategy: current };
  }

  private async dropSeatLocks(eventId: number): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.client.scan(cursor, 'MATCH', `seat_lock:${eventId}:*`, 'COUNT', 200);
      if (keys.length > 0) await this.redis.client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
}
