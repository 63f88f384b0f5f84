import fc from 'fast-check';
import { GCounter, gDiffering, gEquals, gIncrement, gLessOrEqual, gMerge, gMergeAll, gValue } from './g-counter';

const nodeId = fc.constantFrom('us-east-1', 'us-west-1', 'eu-west-1', 'ap-south-1');
const gCounter: fc.Arbitrary<GCounter> = fc.dictionary(nodeId, fc.nat({ max: 1_000_000 }));

describe('G-Counter merge laws', () => {
  it('is commutative', () => {
    fc.assert(fc.property(gCounter, gCounter, (a, b) => gEquals(gMerge(a, b), gMerge(b, a))));
  });

  it('is associative', () => {
    fc.assert(
      fc.property(gCounter, gCounter, gCounter, (a, b, c) => gEquals(gMerge(gMerge(a, b), c), gMerge(a, gMerge(b, c)))),
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(
        gCounter,
        gCounter,
        (a, b) => gEquals(gMerge(a, a), a) && gEquals(gMerge(gMerge(a, b), b), gMerge(a, b)),
      ),
    );
  });

  it('is an upper bound of both sides, and its value never drops below either side', () => {
    fc.assert(
      fc.property(gCounter, gCounter, (a, b) => {
        const m = gMerge(a, b);
        return gLessOrEqual(a, m) && gLessOrEqual(b, m) && gValue(m) >= Math.max(gValue(a), gValue(b));
      }),
    );
  });
});

describe('G-Counter value', () => {
  it('is monotone under increments', () => {
    fc.assert(
      fc.property(gCounter, nodeId, fc.integer({ min: 1, max: 1000 }), (a, node, amount) => {
        const next = gIncrement(a, node, amount);
        return gValue(next) === gValue(a) + amount && gLessOrEqual(a, next);
      }),
    );
  });

  it('rejects zero, negative and fractional amounts', () => {
    for (const amount of [0, -1, 1.5, Number.NaN]) expect(() => gIncrement({}, 'n', amount)).toThrow(RangeError);
  });

  it('counts every increment exactly once whatever the delivery order and duplication of states', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 2 }), fc.integer({ min: 1, max: 50 })), { minLength: 1, maxLength: 40 }),
        fc.array(fc.tuple(fc.nat({ max: 2 }), fc.nat({ max: 2 })), { maxLength: 60 }),
        (increments, exchanges) => {
          const nodes = ['a', 'b', 'c'];
          const replicas: GCounter[] = [{}, {}, {}];
          let acknowledged = 0;
          increments.forEach(([r, amount], i) => {
            replicas[r] = gIncrement(replicas[r], nodes[r], amount);
            acknowledged += amount;
            const [from, to] = exchanges[i % Math.max(exchanges.length, 1)] ?? [0, 0];
            replicas[to] = gMerge(replicas[to], replicas[from]);
          });
          const all = gMergeAll(replicas);
          return gValue(all) === acknowledged && replicas.every((r) => gValue(gMerge(r, all)) === acknowledged);
        },
      ),
    );
  });

  it('counts differing shared entries as the seed\'s "conflicts"', () => {
    expect(gDiffering({ a: 1, b: 2 }, { a: 1, b: 3, c: 1 })).toBe(1);
  });
});
