import { Injectable } from '@nestjs/common';
import {
  CheckContext,
  ExperimentCatalogEntry,
  ExperimentRunContext,
  HistoryOp,
  LabExperiment,
  LabExperimentProvider,
  NemesisStep,
  OpOutcome,
  PlannedOp,
  Rng,
  Verdict,
  WorkloadParams,
} from '../../../platform/experiments/experiment.contract';
import { experimentHttp, outcomeOfError } from '../../../platform/experiments/experiment-http';
import { RunSwitch, restoreAfterRun, selectForRun, stepParam } from '../../../platform/experiments/run-restore';
import { StrategySelectionService } from '../../../platform/strategy';
import { BOOKING_LAB, BOOKING_NODE, BookingSettings, SEAT_LOCKING_PORT, SEED_EVENT_ID } from '../booking.config';
import { BookValue, checkBookingHistory } from '../domain/booking-history.checker';
import { SeatLockingKey } from '../strategies/seat-locking.port';
import { BookingAdminService } from './booking-admin.service';
import { BookingSettingsService } from './booking-settings.service';

/** The seed event's seats in natural order: A1..A10, B1..B10, ... J10. */
const SEATS = 'ABCDEFGHIJ'.split('').flatMap((row) => Array.from({ length: 10 }, (_, i) => `${row}${i + 1}`));

const PAUSE_FAULT = 'pause-lock-holder';
const RACE_FAULT = 'wide-race-window';

/**
 * Booking as an experiment: clients book seats of a small hot set (which moves on every few ops,
 * so contention lasts the whole run) and read the seat map; the checker proves no seat was sold
 * twice, every ok booking kept its seat and no failed one holds one. The nemesis pauses lock
 * holders past their lease (distributed double-books, fenced does not) or widens the race window.
 */
@Injectable()
@LabExperimentProvider()
export class BookingExperiment extends LabExperiment {
  readonly lab = BOOKING_LAB;

  /** The port a run switches, and the settings kept beside it to restore. */
  private readonly seatLocking: RunSwitch<BookingSettings>;

  constructor(
    selection: StrategySelectionService,
    private readonly admin: BookingAdminService,
    private readonly settings: BookingSettingsService,
  ) {
    super();
    this.seatLocking = {
      selection,
      lab: BOOKING_LAB,
      port: SEAT_LOCKING_PORT,
      readSettings: () => this.settings.current(),
      writeSettings: (previous) => this.settings.update(previous),
    };
  }

  catalog(): ExperimentCatalogEntry {
    return {
      lab: BOOKING_LAB,
      description:
        'Clients book seats of a small hot set and read the seat map. Checked: no seat confirmed to two customers, ' +
        'every confirmed booking in the final seat map, no failed booking in any.',
      workloads: [
        {
          name: 'hot-seats',
          description: 'book random seats of a hot set that moves every few ops; reads of the seat map',
        },
      ],
      defaultWorkload: 'hot-seats',
      strategies: Object.values(SeatLockingKey),
      defaultStrategy: SeatLockingKey.None,
      faults: [PAUSE_FAULT, RACE_FAULT],
      nemeses: [
        { name: 'none', description: 'no faults', schedule: () => [] },
        {
          name: PAUSE_FAULT,
          description:
            'every ~1.2 s the next lock holders stall past their lease (lock_ttl_ms 150, pause_ms 600): another client takes the expired lease',
          schedule: (rng, params) => pauseSchedule(rng, params),
        },
        {
          name: RACE_FAULT,
          description: 'the read→write gap widened to 150 ms for the whole run',
          schedule: (_rng, params) => [
            { at_ms: 0, fault: RACE_FAULT, params: { race_window_ms: 150 }, duration_ms: params.duration_ms },
          ],
        },
      ],
      defaultNemesis: 'none',
      params: [
        {
          name: 'hot_seats',
          type: 'integer',
          default: 3,
          min: 1,
          max: 10,
          description: 'seats every process contends for at a time',
        },
        {
          name: 'ops_per_wave',
          type: 'integer',
          default: 4,
          min: 1,
          max: 50,
          description: 'ops of each process on one hot set before it moves on',
        },
        {
          name: 'read_ratio',
          type: 'number',
          default: 0.1,
          min: 0,
          max: 0.9,
          description: 'share of ops that read the seat map',
        },
      ],
      defaults: { concurrency: 6, ops: 240, rate: 60, duration_ms: 20_000, op_timeout_ms: 5_000 },
      expectations: [
        { strategy: SeatLockingKey.None, nemesis: 'none', expected: 'invalid' },
        { strategy: SeatLockingKey.Pessimistic, nemesis: 'none', expected: 'valid' },
        { strategy: SeatLockingKey.Optimistic, nemesis: 'none', expected: 'valid' },
        { strategy: SeatLockingKey.Distributed, nemesis: 'none', expected: 'valid' },
        { strategy: SeatLockingKey.Fenced, nemesis: 'none', expected: 'valid' },
        { strategy: SeatLockingKey.Distributed, nemesis: PAUSE_FAULT, expected: 'invalid' },
        { strategy: SeatLockingKey.Fenced, nemesis: PAUSE_FAULT, expected: 'valid' },
        { strategy: SeatLockingKey.Pessimistic, nemesis: PAUSE_FAULT, expected: 'valid' },
        { strategy: SeatLockingKey.Optimistic, nemesis: PAUSE_FAULT, expected: 'valid' },
      ],
    };
  }

  /** Fresh seed event, default settings, no armed fault, the strategy selected; what was there is kept to restore. */
  async prepare(ctx: Omit<ExperimentRunContext, 'setup'>): Promise<Record<string, unknown>> {
    const restorePoint = await selectForRun(this.seatLocking, ctx.strategy);
    await this.settings.disarmPauseFault();
    const settings = await this.settings.restoreDefaults();
    await this.admin.reset(SEED_EVENT_ID);
    return { event_id: SEED_EVENT_ID, settings, ...restorePoint };
  }

  plan(rng: Rng, params: WorkloadParams): PlannedOp[] {
    const hot = params.hot_seats as number;
    const perWave = params.ops_per_wave as number;
    const readRatio = params.read_ratio as number;
    const ops: PlannedOp[] = [];
    for (let i = 0; i < params.ops; i++) {
      const process = i % params.concurrency;
      const k = Math.floor(i / params.concurrency);
      if (rng.next() < readRatio) {
        ops.push({ process, f: 'read', value: null, node: BOOKING_NODE });
        continue;
      }
      const wave = Math.floor(k / perWave);
      const seat = SEATS[(wave * hot + rng.int(0, hot - 1)) % SEATS.length];
      ops.push({
        process,
        f: 'book',
        value: { seat, customer: `c${process}-${k}` } satisfies BookValue,
        node: BOOKING_NODE,
      });
    }
    return ops;
  }

  override finalOps(): PlannedOp[] {
    return [{ process: 0, f: 'read', value: { final: true }, node: BOOKING_NODE }];
  }

  async execute(op: PlannedOp, ctx: ExperimentRunContext): Promise<OpOutcome> {
    const eventId = ctx.setup.event_id as number;
    if (op.f === 'book') {
      const { seat, customer } = op.value as BookValue;
      const response = await experimentHttp(ctx, BOOKING_NODE, '/book', {
        body: { event_id: eventId, seat_number: seat, customer_id: customer },
      });
      if (response.status !== 200) return outcomeOfError(response, op.value);
      const body = response.body as { status: string; reason?: string; message?: string };
      // double_booked is the lab's referee speaking after the write landed: the seat row now names
      // this customer, so the booking took effect. The checker never reads that word; it finds
      // the two confirmations itself.
      if (body.status === 'confirmed' || body.status === 'double_booked') {
        return { type: 'ok', value: { seat, customer, status: body.status } };
      }
      return { type: 'fail', value: op.value, error: body.reason ?? body.message ?? body.status };
    }
    const response = await experimentHttp(ctx, BOOKING_NODE, `/events/${eventId}/seats`);
    if (response.status !== 200) return outcomeOfError(response, op.value);
    const seats = (
      response.body as { seats: Array<{ seat_number: string; is_booked: boolean; booked_by: string | null }> }
    ).seats;
    const booked: Record<string, string> = {};
    for (const s of seats) if (s.is_booked && s.booked_by) booked[s.seat_number] = s.booked_by;
    return { type: 'ok', value: { booked } };
  }

  async startFault(step: NemesisStep): Promise<void> {
    const params = step.params ?? {};
    if (step.fault === PAUSE_FAULT) {
      await this.settings.update({ lock_ttl_ms: stepParam(params.lock_ttl_ms, 150, 50, 60_000) });
      await this.settings.armPauseFault(
        stepParam(params.pause_ms, 600, 1, 60_000),
        stepParam(params.holders, 2, 1, 1000),
      );
    } else if (step.fault === RACE_FAULT) {
      await this.settings.update({ race_window_ms: stepParam(params.race_window_ms, 150, 0, 10_000) });
    } else {
      throw new Error(`booking has no fault "${step.fault}"`);
    }
  }

  async stopFault(step: NemesisStep, ctx: ExperimentRunContext): Promise<void> {
    const base = ctx.setup.settings as BookingSettings | undefined;
    if (step.fault === PAUSE_FAULT) {
      await this.settings.disarmPauseFault();
      await this.settings.update({ lock_ttl_ms: base?.lock_ttl_ms ?? 5000 });
    } else if (step.fault === RACE_FAULT) {
      await this.settings.update({ race_window_ms: base?.race_window_ms ?? 50 });
    }
  }

  check = (history: readonly HistoryOp[], context: CheckContext): Verdict => checkBookingHistory(history, context);

  /** The strategy and settings the lab had before; the event keeps the run's bookings to look at. */
  override async teardown(ctx: ExperimentRunContext): Promise<void> {
    await this.settings.disarmPauseFault();
    await restoreAfterRun(this.seatLocking, ctx.setup);
  }
}

/** Pauses spread over the expected run (ops / rate), jittered by the seed. */
function pauseSchedule(rng: Rng, params: WorkloadParams): NemesisStep[] {
  const expectedMs = Math.min(params.duration_ms, params.rate ? (params.ops / params.rate) * 1000 : params.duration_ms);
  const steps: NemesisStep[] = [];
  for (let at = 200 + rng.int(0, 200); at < expectedMs - 300 && steps.length < 100; at += 1000 + rng.int(0, 400)) {
    steps.push({
      at_ms: at,
      fault: PAUSE_FAULT,
      params: { pause_ms: 600, lock_ttl_ms: 150, holders: 2 },
      duration_ms: 900,
    });
  }
  return steps;
}
