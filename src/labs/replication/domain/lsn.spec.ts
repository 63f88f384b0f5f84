import { compareLsn, isLsn, lsnDiff, maxLsn, reachedLsn } from './lsn';

describe('LSN', () => {
  it('recognises pg_lsn text only', () => {
    expect(isLsn('0/16B3748')).toBe(true);
    expect(isLsn('FFFFFFFF/FFFFFFFF')).toBe(true);
    for (const bad of ['', '0', '0/', '/1', '0/1/2', '1FFFFFFFF/0', 'x/1', 7, null]) expect(isLsn(bad)).toBe(false);
  });

  it('orders by the 64-bit position, not as text', () => {
    expect(compareLsn('0/9', '0/10')).toBe(-1);
    expect(compareLsn('1/0', '0/FFFFFFFF')).toBe(1);
    expect(compareLsn('0/ABC', '0/abc')).toBe(0);
    expect(maxLsn('0/9', '0/10')).toBe('0/10');
    expect(maxLsn(undefined, '0/1')).toBe('0/1');
    expect(lsnDiff('0/FFFFFFFF', '1/1')).toBe(2);
  });

  it('says whether a position reached what is needed', () => {
    expect(reachedLsn(null, undefined)).toBe(true);
    expect(reachedLsn(null, '0/1')).toBe(false);
    expect(reachedLsn('0/2', '0/1')).toBe(true);
    expect(reachedLsn('0/1', '0/2')).toBe(false);
  });
});
