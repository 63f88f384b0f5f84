import fc from 'fast-check';
import { ENVELOPE_BYTES, LogEntry, countUnder, planApply } from './replication-log';

const entry = (lsn: number): LogEntry => ({
  lsn,
  key: `k${lsn}`,
  value: lsn,
  write_id: `w${lsn}`,
  write_timestamp: lsn,
});

describe('planApply', () => {
  it('applies the next entries in order and skips duplicates', () => {
    const plan = planApply({ epoch: 1, version: 2 }, 1, [entry(4), entry(3), entry(2), entry(3)]);
    expect(plan.apply.map((e) => e.lsn)).toEqual([3, 4]);
    expect(plan.ignored).toBe(2);
    expect(plan.missing).toBeUndefined();
  });

  it('reports a gap instead of jumping over it', () => {
    const plan = planApply({ epoch: 1, version: 2 }, 1, [entry(5), entry(6)]);
    expect(plan.apply).toEqual([]);
    expect(plan.missing).toEqual({ after: 2, upTo: 6 });
  });

  it('ignores entries of an older epoch and restarts from zero on a newer one', () => {
    expect(planApply({ epoch: 3, version: 9 }, 2, [entry(10)])).toEqual({ apply: [], ignored: 1 });
    const plan = planApply({ epoch: 3, version: 9 }, 4, [entry(1), entry(2)]);
    expect(plan.resetToEpoch).toBe(4);
    expect(plan.apply.map((e) => e.lsn)).toEqual([1, 2]);
  });

  it('never moves a replica backwards and applies every LSN exactly once, whatever arrives in whatever order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 8 }), { maxLength: 20 }),
        (deliveries) => {
          let version = 0;
          const applied: number[] = [];
          for (const lsns of deliveries) {
            const plan = planApply({ epoch: 1, version }, 1, lsns.map(entry));
            for (const e of plan.apply) {
              expect(e.lsn).toBe(version + 1);
              version = e.lsn;
              applied.push(e.lsn);
            }
            if (plan.missing) {
              // The replica fills the hole from the primary's log, which holds every LSN up to the head.
              const fill = planApply(
                { epoch: 1, version },
                1,
                Array.from({ length: plan.missing.upTo - version }, (_, i) => entry(version + 1 + i)),
              );
              for (const e of fill.apply) {
                expect(e.lsn).toBe(version + 1);
                version = e.lsn;
                applied.push(e.lsn);
              }
            }
          }
          expect(applied).toEqual(Array.from({ length: applied.length }, (_, i) => i + 1));
        },
      ),
    );
  });
});

describe('countUnder', () => {
  it('takes entries in order while the body stays under the budget, and always at least one', () => {
    expect(countUnder([100, 100, 100], ENVELOPE_BYTES + 202, 10)).toBe(2);
    expect(countUnder([5000, 1], 1000, 10)).toBe(1);
    expect(countUnder([1, 1, 1], 10_000, 2)).toBe(2);
    expect(countUnder([], 10_000, 5)).toBe(0);
  });

  it('never exceeds the budget with more than one entry (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 50 }),
        fc.integer({ min: 300, max: 20000 }),
        (sizes, budget) => {
          const n = countUnder(sizes, budget, 500);
          const used = ENVELOPE_BYTES + sizes.slice(0, n).reduce((s, x) => s + x + 1, 0);
          return (
            (n <= 1 || used <= budget) &&
            (sizes.length === 0 || n >= 1) &&
            (n === sizes.length || n === 1 || used + sizes[n] + 1 > budget)
          );
        },
      ),
    );
  });
});
