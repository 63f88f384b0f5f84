// Eventual (one CRDT region through the gateway) against strong (the linearizable counter),
// side by side. The strong threshold is the seed's and is expected to fail: 10 VUs queue on one
// locked row at ~2 x coordination delay each — that queue is the lesson.
import http from 'k6/http';
import { check, sleep } from 'k6';
import { Trend } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://localhost:8080';
const CONSISTENT_URL = __ENV.CONSISTENT_URL || 'http://localhost:8004';

const eventualLatency = new Trend('eventual_latency', true);
const strongLatency = new Trend('strong_latency', true);

export const options = {
  scenarios: {
    eventual: {
      executor: 'constant-vus',
      vus: 10,
      duration: '30s',
      exec: 'eventual',
      tags: { consistency: 'eventual' },
    },
    strong: { executor: 'constant-vus', vus: 10, duration: '30s', exec: 'strong', tags: { consistency: 'strong' } },
  },
  thresholds: {
    'eventual_latency{consistency:eventual}': ['p(95)<100'],
    'strong_latency{consistency:strong}': ['p(95)<500'],
  },
};

const JSON_HEADERS = { headers: { 'Content-Type': 'application/json' } };

export function eventual() {
  const res = http.post(
    `${BASE_URL}/api/increment`,
    JSON.stringify({ counter_name: 'comparison_eventual', amount: 1 }),
    JSON_HEADERS,
  );
  check(res, { 'eventual 200': (r) => r.status === 200 });
  eventualLatency.add(res.timings.duration, { consistency: 'eventual' });
  sleep(0.1);
}

export function strong() {
  const res = http.post(
    `${CONSISTENT_URL}/increment`,
    JSON.stringify({ counter_name: 'comparison_strong', amount: 1 }),
    JSON_HEADERS,
  );
  check(res, { 'strong 200': (r) => r.status === 200 });
  strongLatency.add(res.timings.duration, { consistency: 'strong' });
  sleep(0.1);
}

export function handleSummary(data) {
  const e = data.metrics.eventual_latency ? data.metrics.eventual_latency.values : {};
  const s = data.metrics.strong_latency ? data.metrics.strong_latency.values : {};
  const ratio = (a, b) => (a > 0 ? (b / a).toFixed(1) : 'n/a');
  const lines = [
    'Eventual vs strong consistency',
    `  eventual p50 ${Number(e.med || 0).toFixed(1)} ms, p95 ${Number(e['p(95)'] || 0).toFixed(1)} ms`,
    `  strong   p50 ${Number(s.med || 0).toFixed(1)} ms, p95 ${Number(s['p(95)'] || 0).toFixed(1)} ms`,
    `  speedup  p50 ${ratio(e.med, s.med)}x, p95 ${ratio(e['p(95)'], s['p(95)'])}x`,
    '',
  ];
  return { stdout: lines.join('\n') };
}
