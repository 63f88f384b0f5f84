import fc from 'fast-check';
import { PNCounter, pnDecrement, pnEquals, pnIncrement, pnMerge, pnValue } from './pn-counter';

const nodeId = fc.constantFrom('us-east-1', 'us-west-1', 'eu-west-1');
const half = fc.dictionary(nodeId, fc.nat({ max: 1_000_000 }));
const pnCounter: fc.Arbitrary<PNCounter> = fc.record({ p: half, n: half });

describe('PN-Counter', () => {
  it('merge is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(pnCounter, pnCounter, pnCounter, (a, b, c) => {
        return (
          pnEquals(pnMerge(a, b), pnMerge(b, a)) &&
          pnEquals(pnMerge(pnMerge(a, b), c), pnMerge(a, pnMerge(b, c))) &&
          pnEquals(pnMerge(a, a), a)
        );
      }),
    );
  });

  it('value is increments minus decrements, and can go below zero', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            nodeId,
            fc.integer({ min: -100, max: 100 }).filter((n) => n !== 0),
          ),
          { maxLength: 50 },
        ),
        (ops) => {
          let c: PNCounter = { p: {}, n: {} };
          for (const [node, delta] of ops) c = delta > 0 ? pnIncrement(c, node, delta) : pnDecrement(c, node, -delta);
          return pnValue(c) === ops.reduce((s, [, d]) => s + d, 0);
        },
      ),
    );
    expect(pnValue(pnDecrement({ p: {}, n: {} }, 'a', 3))).toBe(-3);
  });

  it('merging replicas that decremented concurrently keeps both decrements', () => {
    const base = pnIncrement({ p: {}, n: {} }, 'a', 10);
    const left = pnDecrement(base, 'a', 2);
    const right = pnDecrement(base, 'b', 3);
    expect(pnValue(pnMerge(left, right))).toBe(5);
  });
});
