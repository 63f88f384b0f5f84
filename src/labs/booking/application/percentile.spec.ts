import fc from 'fast-check';
import { percentile } from './percentile';

describe('percentile (nearest rank)', () => {
  it('matches worked examples', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([15, 20, 35, 40, 50], 0.3)).toBe(20);
    expect(percentile([15, 20, 35, 40, 50], 0.4)).toBe(20);
    expect(percentile([15, 20, 35, 40, 50], 0.5)).toBe(35);
    expect(percentile([15, 20, 35, 40, 50], 1)).toBe(50);
    expect(percentile([3, 1, 2], 0.5)).toBe(2);
  });

  it('rejects p outside (0, 1]', () => {
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 1.5)).toThrow(RangeError);
  });

  it('is a member of the data, monotone in p, and bounded by min and max', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 50 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        (values, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const pl = percentile(values, lo)!;
          const ph = percentile(values, hi)!;
          expect(values).toContain(pl);
          expect(pl).toBeLessThanOrEqual(ph);
          expect(pl).toBeGreaterThanOrEqual(Math.min(...values));
          expect(ph).toBeLessThanOrEqual(Math.max(...values));
        },
      ),
    );
  });
});
