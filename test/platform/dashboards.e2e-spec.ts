import type { RunningApp } from '../../src/bootstrap';
import { startAppOnFreePorts } from '../utils/ports';
import { eventually } from '../utils/concurrency';
import { PROMETHEUS, dashboards, datasources } from '../utils/dashboard-files';
import {
  GrafanaDashboard,
  dashboardProblems,
  hasData,
  promQueriesOf,
  exportedMetricFamilies,
  isExported,
  metricNamesOf,
  substituteVariables,
} from '../utils/grafana-dashboards';
import { WorkloadRecorder, runWorkload } from '../utils/lab-workload';
import { RunningPrometheus, startPrometheus } from '../utils/prometheus';

/**
 * The dashboards are proven, not just drawn: every PromQL expression of every panel returns data
 * from a real Prometheus (the OS package, run by scripts/prometheus.sh's binary) scraping the real
 * app (LABS=all) during a short workload on every lab. Renaming a metric a panel uses turns this red.
 * The structural checks (valid Grafana JSON on the provisioned datasources) are
 * dashboards.static-spec.ts.
 */

function panel(id: number, title: string, expr: string) {
  return {
    id,
    type: 'timeseries',
    title,
    datasource: PROMETHEUS,
    gridPos: { x: 0, y: id * 8, w: 12, h: 8 },
    targets: [{ refId: 'A', expr }],
  };
}

/** Series Prometheus makes itself, not the app. */
const PROMETHEUS_SERIES = new Set([
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_series_added',
  'scrape_samples_post_metric_relabeling',
]);

/**
 * Every PromQL of a dashboard, evaluated now: it must return data, and every metric it names must be
 * one the app exports (so an `or vector(0)` fallback cannot hide a renamed metric). One line per
 * problem, naming the dashboard, the panel and the expression.
 */
async function evaluate(
  prometheus: RunningPrometheus,
  families: Set<string>,
  file: string,
  dashboard: GrafanaDashboard,
): Promise<string[]> {
  const failures: string[] = [];
  for (const q of promQueriesOf(dashboard)) {
    const where = `${dashboard.title} (${file}) › panel "${q.panel}" › ${q.refId}: ${q.expr}`;
    const unknown = metricNamesOf(q.expr).filter((name) => !PROMETHEUS_SERIES.has(name) && !isExported(name, families));
    if (unknown.length > 0) failures.push(`${where} → the app exports no metric ${unknown.join(', ')}`);
    const expr = substituteVariables(q.expr, dashboard);
    const result = await prometheus.query(expr);
    const verdict = result.status === 'success' ? hasData(result) : `error: ${result.error}`;
    if (verdict !== 'data') {
      const evaluated = expr !== q.expr ? `  [evaluated as ${expr}]` : '';
      failures.push(`${where}${evaluated} → ${verdict}`);
    }
  }
  return failures;
}

describe('Grafana dashboards: every panel query returns data from a real Prometheus scraping the app', () => {
  let app: RunningApp;
  let prometheus: RunningPrometheus;
  let workload: WorkloadRecorder;
  let families: Set<string>;

  beforeAll(async () => {
    app = await startAppOnFreePorts({ LABS: 'all', LOG_LEVEL: 'error' });
    prometheus = await startPrometheus([new URL(app.url).host], '1s');
    await eventually(
      () => prometheus.lastScrape(),
      (t) => t !== undefined,
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    workload = await runWorkload(app, 3, 1500);
    const finished = Date.now() / 1000;
    // Every sample of the workload is in Prometheus once a scrape newer than its end has landed.
    await eventually(
      () => prometheus.lastScrape(),
      (t) => t !== undefined && t > finished + 0.5,
      {
        timeoutMs: 20_000,
        intervalMs: 250,
      },
    );
    families = exportedMetricFamilies(await (await fetch(`${app.url}/metrics`)).text());
    const missing = workload.missingRoutes();
    const failures = workload.failures();
    if (missing.length > 0 || failures.length > 0) {
      process.stdout.write(
        `dashboards workload: ${workload.calls.length} calls; labs absent: ${workload.absentLabs().join(', ') || 'none'}\n` +
          (missing.length ? `  routes not found:\n    ${missing.join('\n    ')}\n` : '') +
          (failures.length ? `  server errors / no answer:\n    ${failures.join('\n    ')}\n` : ''),
      );
    }
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
    await app?.close();
  });

  it('scrapes the app, and the app exports its HTTP metrics', async () => {
    const up = await prometheus.query('up');
    expect(hasData(up)).toBe('data');
    const requests = await prometheus.query('sum(rate(http_requests_total[1m]))');
    expect(hasData(requests)).toBe('data');
  });

  it('reports a panel whose metric does not exist (checker self-test on the platform metrics)', async () => {
    const fixture: GrafanaDashboard = {
      uid: 'fixture',
      title: 'Fixture',
      schemaVersion: 39,
      templating: {
        list: [
          { name: 'route', type: 'query', query: 'label_values(http_requests_total, route)', datasource: PROMETHEUS },
        ],
      },
      panels: [
        panel(1, 'Requests by route', 'sum by (route) (rate(http_requests_total{route=~"$route"}[$__rate_interval]))'),
        panel(
          2,
          'p95',
          'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{route="${route}"}[$__rate_interval])))',
        ),
        panel(3, 'Renamed metric', 'sum(rate(http_requests_renamed_total[$__rate_interval]))'),
      ],
    };
    expect(dashboardProblems('fixture.json', fixture, datasources)).toEqual([]);
    fixture.panels!.push(panel(4, 'Renamed, with fallback', 'sum(http_requests_renamed_total) or vector(0)'));
    const failures = await evaluate(prometheus, families, 'fixture.json', fixture);
    expect(failures).toEqual([
      'Fixture (fixture.json) › panel "Renamed metric" › A: sum(rate(http_requests_renamed_total[$__rate_interval])) → the app exports no metric http_requests_renamed_total',
      expect.stringMatching(/^Fixture \(fixture\.json\) › panel "Renamed metric" › A: .* → empty$/),
      'Fixture (fixture.json) › panel "Renamed, with fallback" › A: sum(http_requests_renamed_total) or vector(0) → the app exports no metric http_requests_renamed_total',
    ]);
  });

  for (const { file, dashboard } of dashboards) {
    if (!dashboard) continue;
    it(`${file}: every PromQL expression returns data`, async () => {
      const failures = await evaluate(prometheus, families, file, dashboard);
      const lab = file.replace(/\.json$/, '');
      const notFound = workload.missingRoutes().filter((r) => r.startsWith(`${lab}:`));
      if (failures.length > 0 && notFound.length > 0) {
        failures.push(`(note: the workload found no route for ${notFound.join('; ')})`);
      }
      expect(promQueriesOf(dashboard).length).toBeGreaterThan(0);
      expect(failures).toEqual([]);
    });
  }
});
