import { BoundedLabelValues, OVERFLOW_LABEL } from './bounded-label';

describe('BoundedLabelValues', () => {
  it('keeps the first N distinct values and folds the rest into other', () => {
    const names = new BoundedLabelValues(3);
    expect(['a', 'b', 'a', 'c', 'd', 'e', 'b'].map((v) => names.of(v))).toEqual([
      'a',
      'b',
      'a',
      'c',
      OVERFLOW_LABEL,
      OVERFLOW_LABEL,
      'b',
    ]);
    expect(names.size).toBe(3);
    expect(names.admits('d')).toBe(false);
    expect(names.admits('c')).toBe(true);
  });

  it('sends over-long values and a literal "other" to other without spending the budget', () => {
    const names = new BoundedLabelValues(2, 5);
    expect(names.of('x'.repeat(6))).toBe(OVERFLOW_LABEL);
    expect(names.of(OVERFLOW_LABEL)).toBe(OVERFLOW_LABEL);
    expect(names.size).toBe(0);
  });
});
