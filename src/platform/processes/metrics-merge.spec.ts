import { mergeExpositions } from './metrics-merge';

describe('mergeExpositions', () => {
  it('labels every sample with its process and keeps one HELP/TYPE per family, samples together', () => {
    const a =
      '# HELP hits_total Hits\n# TYPE hits_total counter\nhits_total{lab="booking"} 3\n# HELP up Up\n# TYPE up gauge\nup 1\n';
    const b = '# HELP hits_total Hits\n# TYPE hits_total counter\nhits_total{lab="booking"} 4\n';
    const merged = mergeExpositions([
      { label: 'booking:booking#0', text: a },
      { label: 'booking:booking#1', text: b },
    ]);
    expect(merged.split('\n')).toEqual([
      '# HELP hits_total Hits',
      '# TYPE hits_total counter',
      'hits_total{lab="booking",lab_instance="booking:booking#0"} 3',
      'hits_total{lab="booking",lab_instance="booking:booking#1"} 4',
      '# HELP up Up',
      '# TYPE up gauge',
      'up{lab_instance="booking:booking#0"} 1',
      '',
    ]);
  });

  it('keeps histogram suffixes in their family', () => {
    const text = '# HELP d Duration\n# TYPE d histogram\nd_bucket{le="1"} 1\nd_sum 0.5\nd_count 1\n';
    const merged = mergeExpositions([
      { label: 'x', text },
      { label: 'y', text },
    ]);
    expect(merged.indexOf('d_count{lab_instance="x"}')).toBeLessThan(
      merged.indexOf('d_bucket{le="1",lab_instance="y"}'),
    );
    expect(merged.match(/# TYPE d histogram/g)).toHaveLength(1);
  });
});
