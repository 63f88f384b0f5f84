import type { StrategySelectionService } from '../../../platform/strategy';
import { DEFAULT_BOOKING_SETTINGS } from '../booking.config';
import type { BookingMetrics } from '../booking.metrics';
import type { BookingRepository } from '../persistence/booking.repository';
import type { EventRepository } from '../persistence/event.repository';
import type { ReservationOutcome, SeatLockingPort } from '../strategies/seat-locking.port';
import { BookSeatService } from './book-seat.service';
import type { BookingSettingsService } from './booking-settings.service';

const A1 = { id: 7, eventId: 1, seatNumber: 'A1' };
const command = { eventId: 1, seatNumber: 'A1', customerId: 'alice' };

/** The use case with in-memory stand-ins: what is under test is how outcomes become responses, rows and metrics. */
function setup(options: {
  key?: string;
  outcome?: ReservationOutcome | Error;
  recorded?: 'confirmed' | 'double_booked';
  seat?: typeof A1 | null;
  eventExists?: boolean;
}) {
  const key = options.key ?? 'pessimistic';
  const strategy: SeatLockingPort = {
    reserve: async () => {
      if (options.outcome instanceof Error) throw options.outcome;
      return options.outcome!;
    },
  };
  const selection = { resolve: async () => ({ key, strategy }) } as unknown as StrategySelectionService;
  const events = {
    findSeatRef: async () => (options.seat === undefined ? A1 : options.seat),
    findEvent: async () => (options.eventExists === false ? null : { id: 1 }),
  } as unknown as EventRepository;
  const failures: string[] = [];
  const bookings = {
    recordFailure: async (_attempt: unknown, reason: string) => void failures.push(reason),
    recordSuccess: async () => ({
      status: options.recorded ?? 'confirmed',
      bookingCount: options.recorded === 'double_booked' ? 2 : 1,
    }),
  } as unknown as BookingRepository;
  const settings = {
    current: async () => DEFAULT_BOOKING_SETTINGS,
    pausesRemaining: async () => 0,
    takePause: async () => 0,
  } as unknown as BookingSettingsService;
  const calls: string[] = [];
  const metrics = new Proxy(
    {},
    {
      get:
        (_t, name) =>
        (...args: unknown[]) =>
          calls.push(`${String(name)}:${args.join(',')}`),
    },
  );
  const service = new BookSeatService(selection, events, bookings, settings, metrics as BookingMetrics);
  return { service, failures, calls };
}

const facts = { attempts: 1, retries: 0, contended: false };

describe('BookSeatService', () => {
  it('confirms with the seed message, and adds attempts under optimistic', async () => {
    const { service, calls } = setup({
      key: 'optimistic',
      outcome: { status: 'reserved', ...facts, attempts: 2, retries: 1 },
    });
    expect(await service.book(command)).toEqual({
      status: 'confirmed',
      message: 'Seat A1 booked successfully',
      customer_id: 'alice',
      strategy: 'optimistic',
      attempts: 2,
    });
    expect(calls).toContain('optimisticRetries:optimistic,1');
    expect(calls.some((c) => c.startsWith('booking:optimistic,confirmed,'))).toBe(true);
  });

  it('reports a write the recorder found second as double_booked and counts it', async () => {
    const { service, calls } = setup({
      key: 'none',
      outcome: { status: 'reserved', ...facts },
      recorded: 'double_booked',
    });
    expect(await service.book(command)).toEqual({
      status: 'double_booked',
      message: 'WARNING: Double booking detected for seat A1!',
      booking_count: 2,
      strategy: 'none',
      customer_id: 'alice',
    });
    expect(calls).toContain('doubleBooking:none');
  });

  it('records a lost race as a failed attempt with its reason', async () => {
    const taken = setup({ outcome: { status: 'already_booked', bookedBy: 'bob', ...facts, contended: true } });
    expect(await taken.service.book(command)).toMatchObject({
      status: 'failed',
      message: 'Seat A1 already booked by bob',
    });
    expect(taken.failures).toEqual(['already_booked']);
    expect(taken.calls).toContain('contention:pessimistic');

    const busy = setup({
      key: 'distributed',
      outcome: { status: 'rejected', reason: 'lock_not_acquired', ...facts, contended: true },
    });
    expect(await busy.service.book(command)).toMatchObject({
      status: 'failed',
      message: 'Could not acquire lock for seat A1',
    });
    expect(busy.failures).toEqual(['lock_not_acquired']);

    const stale = setup({
      key: 'fenced',
      outcome: { status: 'rejected', reason: 'stale_token', ...facts, fencingToken: 9 },
    });
    expect((await stale.service.book(command)).message).toMatch(/fencing token 9 rejected/);
    expect(stale.calls).toContain('fencingRejection:fenced');
  });

  it('names an unknown seat or event, and counts the request as an error', async () => {
    const seat = setup({ seat: null });
    await expect(seat.service.book(command)).rejects.toMatchObject({ code: 'BOOKING.SEAT_NOT_FOUND', status: 404 });
    expect(seat.calls).toContain('booking:pessimistic,error');
    const event = setup({ seat: null, eventExists: false });
    await expect(event.service.book(command)).rejects.toMatchObject({ code: 'BOOKING.EVENT_NOT_FOUND', status: 404 });
  });
});
