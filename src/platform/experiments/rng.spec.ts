import { SeededRng } from './rng';

describe('SeededRng', () => {
  it('gives the same stream for the same seed and stream, different ones otherwise', () => {
    const draw = (seed: number, stream = 0) => {
      const rng = new SeededRng(seed, stream);
      return Array.from({ length: 8 }, () => rng.nextUint32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(42, 0)).not.toEqual(draw(42, 1));
  });

  it('is pinned: these values never change (a recorded seed must replay the same plan on every Node)', () => {
    const rng = new SeededRng(1);
    expect(Array.from({ length: 4 }, () => rng.nextUint32())).toEqual([2466671647, 704075991, 1425070668, 2363080060]);
  });

  it('int() stays inside its bounds and reaches both ends; pick() covers every item', () => {
    const rng = new SeededRng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const n = rng.int(-2, 3);
      expect(n).toBeGreaterThanOrEqual(-2);
      expect(n).toBeLessThanOrEqual(3);
      seen.add(n);
    }
    expect([...seen].sort()).toEqual([-1, -2, 0, 1, 2, 3].sort());
    const picked = new Set(Array.from({ length: 200 }, () => rng.pick(['a', 'b', 'c'])));
    expect(picked.size).toBe(3);
    expect(() => rng.int(3, 2)).toThrow(RangeError);
    expect(() => rng.pick([])).toThrow(RangeError);
  });

  it('next() is roughly uniform', () => {
    const rng = new SeededRng(99);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[Math.floor(rng.next() * 10)]++;
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(600);
  });
});
