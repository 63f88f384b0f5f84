import type { HistoryModel } from '../../../platform/experiments/testing/history-simulator';
import type { BookValue, SeatMapValue } from './booking-history.checker';

export interface BookingModelState {
  holder: Map<string, string>;
  seatCount: number;
}

const HOT = 3;
const PER_WAVE = 4;
/** A read shows a page of this many seats around the reader's wave (the final read shows all). */
const PAGE = 100;

const seatName = (n: number) => `S${n}`;

/**
 * A correct seat store, for generated histories: a seat is given to the first booking that finds
 * it free, every later one fails. The workload has the shape of the lab's: hot sets that move on
 * every few ops, unique customers, reads of the seat map.
 */
export const bookingModel: HistoryModel<BookingModelState> = {
  init: () => ({ holder: new Map(), seatCount: 0 }),
  next(rng, process, k) {
    const wave = Math.floor(k / PER_WAVE);
    if (rng.next() < 0.1) return { f: 'read', value: { page: Math.max(0, wave * HOT - PAGE / 2) } };
    const value: BookValue = { seat: seatName(wave * HOT + rng.int(0, HOT - 1)), customer: `c${process}-${k}` };
    return { f: 'book', value };
  },
  apply(state, op) {
    if (op.f === 'book') {
      const { seat, customer } = op.value as BookValue;
      if (state.holder.has(seat)) return { type: 'fail', value: op.value };
      state.holder.set(seat, customer);
      const n = Number(seat.slice(1));
      if (n >= state.seatCount) state.seatCount = n + 1;
      return { type: 'ok', value: { seat, customer, status: 'confirmed' } };
    }
    const booked: Record<string, string> = {};
    const final = (op.value as { final?: boolean } | null)?.final === true;
    if (final) {
      for (const [seat, customer] of state.holder) booked[seat] = customer;
    } else {
      const from = (op.value as { page: number }).page;
      for (let n = from; n < from + PAGE; n++) {
        const customer = state.holder.get(seatName(n));
        if (customer) booked[seatName(n)] = customer;
      }
    }
    return { type: 'ok', value: { booked } satisfies SeatMapValue };
  },
  finalOps: () => [{ f: 'read', value: { final: true } }],
};
