import { Injectable } from '@nestjs/common';
import {
  InjectMetric,
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
} from '@willsoto/nestjs-prometheus';
import { Counter, Gauge, Histogram } from 'prom-client';

/** Seed metric names, kept exactly (docs/seed-contracts.md). */
export const BOOKINGS_TOTAL = 'bookings_total';
export const DOUBLE_BOOKINGS_DETECTED_TOTAL = 'double_bookings_detected_total';
export const LOCK_CONTENTIONS_TOTAL = 'lock_contentions_total';
export const OPTIMISTIC_RETRIES_TOTAL = 'optimistic_retries_total';
export const BOOKING_DURATION_SECONDS = 'booking_duration_seconds';
export const AVAILABLE_SEATS = 'available_seats';
export const CURRENT_LOCKING_STRATEGY = 'current_locking_strategy';
/** Beyond the seed: what the fencing lesson needs to be visible. */
export const FENCING_REJECTIONS_TOTAL = 'booking_fencing_rejections_total';
export const LOCK_EXPIRATIONS_TOTAL = 'booking_lock_expirations_total';

/** The seed's numbering of `current_locking_strategy`, extended with `fenced` and `local`. */
export const STRATEGY_GAUGE_VALUE: Record<string, number> = {
  none: 0,
  pessimistic: 1,
  optimistic: 2,
  distributed: 3,
  fenced: 4,
  local: 5,
};

type GaugeSource = (gauge: Gauge<string>) => Promise<void>;

/**
 * The two gauges are read from their source of truth (PostgreSQL, the Redis selection) when
 * Prometheus scrapes, so they are never stale; the source is set by the running module.
 */
const gaugeSources = new Map<string, GaugeSource>();

function setGaugeSource(name: string, source: GaugeSource | undefined): void {
  if (source) gaugeSources.set(name, source);
  else gaugeSources.delete(name);
}

async function collectFromSource(this: Gauge<string>, name: string): Promise<void> {
  await gaugeSources
    .get(name)?.(this)
    .catch(() => undefined);
}

export const bookingMetricProviders = [
  makeCounterProvider({
    name: BOOKINGS_TOTAL,
    help: 'Booking attempts by strategy and result status (confirmed, failed, double_booked, error)',
    labelNames: ['strategy', 'status'],
  }),
  makeCounterProvider({
    name: DOUBLE_BOOKINGS_DETECTED_TOTAL,
    help: 'Bookings that found their seat already held by another confirmed booking',
    labelNames: ['strategy'],
  }),
  makeCounterProvider({
    name: LOCK_CONTENTIONS_TOTAL,
    help: 'Attempts that lost to a concurrent holder: seat taken under a row lock, Redis lock busy, retries used up',
    labelNames: ['strategy'],
  }),
  makeCounterProvider({
    name: OPTIMISTIC_RETRIES_TOTAL,
    help: 'Optimistic version conflicts that caused a retry',
    labelNames: ['strategy'],
  }),
  makeHistogramProvider({
    name: BOOKING_DURATION_SECONDS,
    help: 'Time to handle a booking request, by strategy',
    labelNames: ['strategy'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0],
  }),
  makeGaugeProvider({
    name: AVAILABLE_SEATS,
    help: 'Unbooked seats per event, read from PostgreSQL at scrape time',
    labelNames: ['event_id'],
    async collect(this: Gauge<string>) {
      await collectFromSource.call(this, AVAILABLE_SEATS);
    },
  }),
  makeGaugeProvider({
    name: CURRENT_LOCKING_STRATEGY,
    help: 'Selected seat-locking strategy: 0 none, 1 pessimistic, 2 optimistic, 3 distributed, 4 fenced',
    async collect(this: Gauge<string>) {
      await collectFromSource.call(this, CURRENT_LOCKING_STRATEGY);
    },
  }),
  makeCounterProvider({
    name: FENCING_REJECTIONS_TOTAL,
    help: 'Writes refused by PostgreSQL because a newer lock holder had claimed the seat (stale fencing token)',
    labelNames: ['strategy'],
  }),
  makeCounterProvider({
    name: LOCK_EXPIRATIONS_TOTAL,
    help: 'Redis seat locks that expired while their holder was still working (found at release)',
    labelNames: ['strategy'],
  }),
];

export type BookingResultStatus = 'confirmed' | 'failed' | 'double_booked' | 'error';

/** The lab's metrics behind intent-level methods, so the use case reads as the lesson. */
@Injectable()
export class BookingMetrics {
  constructor(
    @InjectMetric(BOOKINGS_TOTAL) private readonly bookings: Counter<string>,
    @InjectMetric(DOUBLE_BOOKINGS_DETECTED_TOTAL) private readonly doubleBookings: Counter<string>,
    @InjectMetric(LOCK_CONTENTIONS_TOTAL) private readonly contentions: Counter<string>,
    @InjectMetric(OPTIMISTIC_RETRIES_TOTAL) private readonly retries: Counter<string>,
    @InjectMetric(BOOKING_DURATION_SECONDS) private readonly duration: Histogram<string>,
    @InjectMetric(FENCING_REJECTIONS_TOTAL) private readonly fencingRejections: Counter<string>,
    @InjectMetric(LOCK_EXPIRATIONS_TOTAL) private readonly lockExpirations: Counter<string>,
  ) {}

  /** Creates every series at 0, so dashboards and rate() see each strategy before its first booking. */
  initialise(strategies: string[]): void {
    for (const strategy of strategies) {
      this.duration.zero({ strategy });
      for (const status of ['confirmed', 'failed', 'double_booked', 'error'])
        this.bookings.inc({ strategy, status }, 0);
      for (const counter of [
        this.doubleBookings,
        this.contentions,
        this.retries,
        this.fencingRejections,
        this.lockExpirations,
      ]) {
        counter.inc({ strategy }, 0);
      }
    }
  }

  booking(strategy: string, status: BookingResultStatus, seconds?: number): void {
    this.bookings.inc({ strategy, status });
    if (seconds !== undefined) this.duration.observe({ strategy }, seconds);
  }

  doubleBooking(strategy: string): void {
    this.doubleBookings.inc({ strategy });
  }

  contention(strategy: string): void {
    this.contentions.inc({ strategy });
  }

  optimisticRetries(strategy: string, count: number): void {
    if (count > 0) this.retries.inc({ strategy }, count);
  }

  fencingRejection(strategy: string): void {
    this.fencingRejections.inc({ strategy });
  }

  lockExpired(strategy: string): void {
    this.lockExpirations.inc({ strategy });
  }

  /** From now on each scrape reads `available_seats` and `current_locking_strategy` from these sources. */
  readGaugesFrom(sources: {
    availableSeats: () => Promise<Array<{ eventId: number; available: number }>>;
    strategy: () => Promise<string>;
  }): void {
    setGaugeSource(AVAILABLE_SEATS, async (gauge) => {
      gauge.reset();
      for (const { eventId, available } of await sources.availableSeats())
        gauge.set({ event_id: String(eventId) }, available);
    });
    setGaugeSource(CURRENT_LOCKING_STRATEGY, async (gauge) => {
      gauge.set(STRATEGY_GAUGE_VALUE[await sources.strategy()] ?? -1);
    });
  }

  stopReadingGauges(): void {
    setGaugeSource(AVAILABLE_SEATS, undefined);
    setGaugeSource(CURRENT_LOCKING_STRATEGY, undefined);
  }
}
