import fc from 'fast-check';
import { parseStoredG, parseStoredPn, validCounters } from './state-validation';

const rules = { nodeIds: ['a-1', 'b-1', 'c-1'], maxEntry: Math.floor(Number.MAX_SAFE_INTEGER / 3) };

describe('state validation', () => {
  it('parses stored decimal strings exactly, dropping entries that break the rules', () => {
    expect(parseStoredG({ 'a-1': '3002399751580330', 'b-1': '1125899906842625' }, rules)).toEqual({
      'a-1': 3002399751580330,
      'b-1': 1125899906842625,
    });
    expect(parseStoredG({ 'a-1': '7', 'b-1': '99999999999999999999', 'mars-1': '3', 'c-1': '1e3' }, rules)).toEqual({
      'a-1': 7,
    });
    expect(parseStoredG({ 'a-1': '3002399751580331' }, rules)).toBeUndefined();
    expect(parseStoredPn({ 'p:a-1': '5', 'n:b-1': '2', 'x:a-1': '1', 'n:c-1': '-1' }, rules)).toEqual({
      p: { 'a-1': 5 },
      n: { 'b-1': 2 },
    });
  });

  it('splits a peer state into valid counters and the names refused on their own', () => {
    const out = validCounters(
      {
        good: { 'a-1': 4 },
        negative: { 'a-1': -1 },
        unknown: { 'mars-1': 1 },
        huge: { 'a-1': 1e300 },
        'bad name': { 'a-1': 1 },
      },
      { pn: { p: { 'b-1': 2 }, n: {} }, pnBad: { p: { 'b-1': 0.5 } } },
      rules,
    );
    expect(out.counts).toEqual({ good: { 'a-1': 4 } });
    expect(out.pn).toEqual({ pn: { p: { 'b-1': 2 }, n: {} } });
    expect(out.rejected.sort()).toEqual(['bad name', 'huge', 'negative', 'pnBad', 'unknown']);
    expect(validCounters('x', undefined, rules)).toEqual({ counts: {}, pn: {}, rejected: ['*'] });
  });

  it('round-trips every valid entry exactly through its decimal string (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: rules.maxEntry }), fc.constantFrom(...rules.nodeIds), (n, node) => {
        return parseStoredG({ [node]: String(n) }, rules)?.[node] === (n === 0 ? 0 : n);
      }),
    );
  });
});
