import fc from 'fast-check';
import { toAmount, toCents, toDecimal } from './money';

describe('money as whole cents', () => {
  it('reads NUMERIC strings and JSON numbers exactly', () => {
    expect(toCents('1000.00')).toBe(100000);
    expect(toCents('-600.00')).toBe(-60000);
    expect(toCents('0.1')).toBe(10);
    expect(toCents(0.1)).toBe(10);
    expect(toCents(12.34)).toBe(1234);
    expect(() => toCents('12.345')).toThrow(RangeError);
    expect(() => toCents('abc')).toThrow(RangeError);
  });

  it('round-trips through the SQL literal and the JSON number', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e11, max: 1e11 }), (cents) => {
        expect(toCents(toDecimal(cents))).toBe(cents);
        expect(toCents(toAmount(cents))).toBe(cents);
      }),
    );
  });
});
