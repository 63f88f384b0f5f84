import { LAB_NAMES } from '../../src/platform/config/lab-plan';
import { PROMETHEUS, dashboards, datasources, files } from '../utils/dashboard-files';
import {
  GrafanaDashboard,
  dashboardProblems,
  exportedMetricFamilies,
  isExported,
  metricNamesOf,
  substituteVariables,
} from '../utils/grafana-dashboards';

/**
 * The dashboards by structure, without any infrastructure: the checker itself, and every dashboard
 * as valid Grafana JSON on the provisioned datasources. That their queries return data from a real
 * Prometheus is dashboards.e2e-spec.ts.
 */

describe('dashboard checker', () => {
  const vars: GrafanaDashboard = {
    templating: {
      list: [
        { name: 'strategy', type: 'query', query: 'label_values(bookings_total, strategy)' },
        { name: 'window', type: 'interval', current: { value: '30s' } },
        { name: 'lab', type: 'custom', current: { value: '$__all' } },
      ],
    },
  };

  it('replaces Grafana variables so Prometheus can evaluate the expression', () => {
    expect(
      substituteVariables('sum by (strategy) (rate(bookings_total{strategy="$strategy"}[$__rate_interval]))', vars),
    ).toBe('sum by (strategy) (rate(bookings_total{strategy=~".*"}[1m]))');
    expect(
      substituteVariables('rate(x{strategy=~"${strategy:regex}", lab!="[[lab]]"}[$window]) * $__interval_ms', vars),
    ).toBe('rate(x{strategy=~".*", lab!~"__no_such_value__"}[30s]) * 15000');
    expect(substituteVariables('label_replace(up, "dst", "$1", "instance", "(.*)")', vars)).toBe(
      'label_replace(up, "dst", "$1", "instance", "(.*)")',
    );
  });

  it('reads the metric names of an expression, fallbacks included', () => {
    expect(
      metricNamesOf(
        'histogram_quantile(0.95, sum by (le, strategy) (rate(booking_duration_seconds_bucket{strategy=~"$strategy"}[$__rate_interval]))) or vector(0)',
      ),
    ).toEqual(['booking_duration_seconds_bucket']);
    expect(
      metricNamesOf('100 * sum(rate(a_total[5m])) / clamp_min(sum(rate(b_total[5m])) + on() group_left(x) c, 1e-9)'),
    ).toEqual(['a_total', 'b_total', 'c']);
    const families = exportedMetricFamilies(
      '# HELP x_seconds t\n# TYPE x_seconds histogram\nx_seconds_bucket{le="1"} 0\n# TYPE y_total counter\n',
    );
    expect(['x_seconds_bucket', 'x_seconds_count', 'y_total', 'y'].map((n) => isExported(n, families))).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it('flags a dashboard without uid, with a datasource that is not provisioned, or a panel without queries', () => {
    const bad = {
      title: 'Bad',
      schemaVersion: 39,
      panels: [
        { id: 1, type: 'stat', title: 'No targets', datasource: PROMETHEUS, gridPos: { x: 0, y: 0, w: 6, h: 4 } },
        {
          id: 2,
          type: 'timeseries',
          title: 'By name',
          datasource: 'Prometheus',
          gridPos: { x: 6, y: 0, w: 6, h: 4 },
          targets: [{ refId: 'A', expr: 'up' }],
        },
        {
          id: 3,
          type: 'timeseries',
          title: 'Unknown uid',
          gridPos: { x: 0, y: 4, w: 6, h: 4 },
          targets: [{ refId: 'A', expr: 'up', datasource: { type: 'prometheus', uid: 'prom' } }],
        },
      ],
    };
    expect(dashboardProblems('bad.json', bad, datasources)).toEqual([
      expect.stringContaining('bad.json: uid must be'),
      'bad.json › panel "No targets": no targets',
      expect.stringContaining('bad.json › panel "By name" › target A: datasource must be an object'),
      expect.stringContaining(
        'bad.json › panel "Unknown uid" › target A: datasource {"type":"prometheus","uid":"prom"} is not provisioned',
      ),
    ]);
  });
});

describe('Grafana dashboards: files', () => {
  it.each(LAB_NAMES)('has a dashboard for the %s lab', (lab) => {
    expect(files).toContain(`${lab}.json`);
  });

  it('gives every dashboard its own uid and title', () => {
    const parsed = dashboards.flatMap((d) => (d.dashboard ? [d.dashboard] : []));
    const uids = parsed.map((d) => d.uid);
    const titles = parsed.map((d) => d.title);
    expect(uids.filter((u, i) => uids.indexOf(u) !== i)).toEqual([]);
    expect(titles.filter((t, i) => titles.indexOf(t) !== i)).toEqual([]);
  });

  for (const { file, dashboard, error } of dashboards) {
    it(`${file} is valid Grafana JSON on the provisioned datasources`, () => {
      expect(error).toBeUndefined();
      expect(dashboardProblems(file, dashboard!, datasources)).toEqual([]);
    });
  }
});
