import fc from 'fast-check';
import type { HistoryOp } from '../../../platform/experiments/experiment.contract';
import { HistoryBuilder } from '../../../platform/experiments/testing/history-builder';
import { simulateHistory } from '../../../platform/experiments/testing/history-simulator';
import { checkBookingHistory, SeatMapValue } from './booking-history.checker';
import { bookingModel } from './booking-history.model';

const ctx = { strategy: 'none', params: {}, setup: {} };
const book = (seat: string, customer: string) => ({ seat, customer });
const finalRead = (h: HistoryBuilder, booked: Record<string, string>) => {
  h.invoke(0, 'read', { final: true });
  return h.ok(0, { booked });
};

describe('checkBookingHistory on hand-written histories', () => {
  it('is valid when each seat went to one customer and the final read agrees, with info ops among them', () => {
    const h = new HistoryBuilder();
    h.invoke(0, 'book', book('A1', 'c0'));
    h.invoke(1, 'book', book('A1', 'c1'));
    h.invoke(2, 'book', book('A2', 'c2'));
    h.ok(0);
    h.fail(1);
    h.info(2); // took effect or not: either is fine
    finalRead(h, { A1: 'c0', A2: 'c2' });
    const verdict = checkBookingHistory(h.ops, ctx);
    expect(verdict.valid).toBe(true);
    expect(verdict.stats.bookings).toEqual({ ok: 1, fail: 1, info: 1 });
  });

  it('names the seat and both confirming ops of a double booking', () => {
    const h = new HistoryBuilder();
    h.invoke(0, 'book', book('A1', 'c0'));
    h.invoke(1, 'book', book('A1', 'c1'));
    h.invoke(2, 'book', book('A1', 'c2'));
    const first = h.ok(0);
    const second = h.ok(1);
    h.info(2);
    finalRead(h, { A1: 'c1' });
    const verdict = checkBookingHistory(h.ops, ctx);
    expect(verdict.valid).toBe(false);
    const double = verdict.anomalies.find((a) => a.type === 'double-booking')!;
    expect(double.ops).toEqual([first, second]);
    expect(double.explanation).toContain('seat A1');
    expect(double.explanation).toContain('c0');
    expect(double.explanation).toContain('c1');
  });

  it('finds an ok booking missing from the final read (overwritten by an info one)', () => {
    const h = new HistoryBuilder();
    h.invoke(0, 'book', book('B2', 'c0'));
    const ok = h.ok(0);
    h.invoke(1, 'book', book('B2', 'c1'));
    h.info(1);
    const read = finalRead(h, { B2: 'c1' });
    const verdict = checkBookingHistory(h.ops, ctx);
    expect(verdict.valid).toBe(false);
    expect(verdict.anomalies).toEqual([
      expect.objectContaining({
        type: 'lost-booking',
        ops: [ok, read],
        explanation: expect.stringContaining('shows c1 holding it'),
      }),
    ]);
  });

  it('finds a failed booking holding a seat, in a read during the run too', () => {
    const h = new HistoryBuilder();
    h.invoke(0, 'book', book('C3', 'c0'));
    const failed = h.fail(0);
    h.invoke(1, 'read');
    const midRead = h.ok(1, { booked: { C3: 'c0' } } satisfies SeatMapValue);
    const read = finalRead(h, { C3: 'c0' });
    const verdict = checkBookingHistory(h.ops, ctx);
    expect(verdict.valid).toBe(false);
    expect(verdict.anomalies.map((a) => [a.type, a.ops])).toEqual([
      ['failed-booking-visible', [failed, midRead]],
      ['failed-booking-visible', [failed, read]],
    ]);
  });

  it('is unknown, not valid, when the final read never completed', () => {
    const h = new HistoryBuilder();
    h.call(0, 'book', book('A1', 'c0'), 'ok');
    h.invoke(0, 'read', { final: true });
    h.info(0);
    expect(checkBookingHistory(h.ops, ctx).valid).toBe('unknown');
  });

  it('ignores nemesis ops', () => {
    const h = new HistoryBuilder();
    h.call('nemesis', 'start', { fault: 'pause-lock-holder' }, 'ok');
    h.call(0, 'book', book('A1', 'c0'), 'ok');
    h.call('nemesis', 'stop', { fault: 'pause-lock-holder' }, 'ok');
    finalRead(h, { A1: 'c0' });
    expect(checkBookingHistory(h.ops, ctx).valid).toBe(true);
  });
});

describe('checkBookingHistory on generated histories (fast-check)', () => {
  const generated = fc.record({
    seed: fc.integer({ min: 0, max: 2 ** 31 }),
    processes: fc.integer({ min: 1, max: 8 }),
    ops: fc.integer({ min: 5, max: 300 }),
    infoRate: fc.double({ min: 0, max: 0.2, noNaN: true }),
  });
  const simulate = (g: { seed: number; processes: number; ops: number; infoRate: number }) =>
    simulateHistory(bookingModel, g).history;

  it('a correct history is valid', () => {
    fc.assert(
      fc.property(generated, (g) => {
        expect(checkBookingHistory(simulate(g), ctx).valid).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('a failed booking turned into an ok one is a double booking naming it', () => {
    fc.assert(
      fc.property(generated, fc.nat(), (g, pick) => {
        const history = simulate(g).map((op) => ({ ...op }));
        const fails = history.filter((op) => op.f === 'book' && op.type === 'fail');
        fc.pre(fails.length > 0);
        const injected = fails[pick % fails.length];
        injected.type = 'ok';
        const verdict = checkBookingHistory(history, ctx);
        expect(verdict.valid).toBe(false);
        expect(verdict.anomalies.some((a) => a.ops.includes(injected.index))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('an ok booking dropped from the final read is a lost booking naming it', () => {
    fc.assert(
      fc.property(generated, fc.nat(), (g, pick) => {
        const history: HistoryOp[] = simulate(g).map((op) => ({ ...op }));
        const oks = history.filter((op) => op.f === 'book' && op.type === 'ok');
        fc.pre(oks.length > 0);
        const victim = oks[pick % oks.length];
        const final = history[history.length - 1];
        const booked = { ...(final.value as SeatMapValue).booked };
        delete booked[(victim.value as { seat: string }).seat];
        final.value = { booked };
        const verdict = checkBookingHistory(history, ctx);
        expect(verdict.valid).toBe(false);
        expect(verdict.anomalies).toContainEqual(
          expect.objectContaining({ type: 'lost-booking', ops: [victim.index, final.index] }),
        );
      }),
      { numRuns: 150 },
    );
  });
});
