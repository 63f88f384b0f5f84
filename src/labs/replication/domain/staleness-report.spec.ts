import { StalenessReport, bucketOf } from './staleness-report';

describe('StalenessReport', () => {
  it('puts reads into since-write buckets and estimates the probability of a fresh read', () => {
    const report = new StalenessReport();
    report.record('replica1', 10, false);
    report.record('replica1', 40, true);
    report.record('replica1', 700, true);
    report.record('replica2', 20000, true);
    const out = report.report(['replica1', 'replica2']);
    expect(out.replica1.reads).toBe(3);
    expect(out.replica1.buckets.find((b) => b.le_ms === '50')).toEqual({
      le_ms: '50',
      reads: 2,
      fresh: 1,
      p_fresh: 0.5,
    });
    expect(out.replica1.buckets.find((b) => b.le_ms === '1000')?.p_fresh).toBe(1);
    expect(out.replica1.buckets.find((b) => b.le_ms === '100')?.p_fresh).toBeNull();
    expect(out.replica2.buckets.find((b) => b.le_ms === '+Inf')?.reads).toBe(1);
  });

  it('bounds the bucket edges inclusively', () => {
    expect(bucketOf(0)).toBe('50');
    expect(bucketOf(50)).toBe('50');
    expect(bucketOf(50.1)).toBe('100');
    expect(bucketOf(10001)).toBe('+Inf');
  });
});
