// Baseline, then a real partition of us-east, then a heal: watch convergence.lag rise while the
// partition lasts and drop to 0 after the heal and a forced sync.
import http from 'k6/http';
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import { Counter, Gauge } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://localhost:8080';
// Admin, fault and reset calls carry ADMIN_TOKEN (required when the app is bound beyond loopback, as in compose).
const ADMIN = { headers: { 'Content-Type': 'application/json', 'x-admin-token': __ENV.ADMIN_TOKEN || '' } };
const REGION = __ENV.PARTITION_REGION || 'us-east';

const convergenceLag = new Gauge('convergence_lag');
const divergedReads = new Counter('diverged_reads');

export const options = {
  scenarios: {
    baseline: { executor: 'constant-vus', vus: 5, duration: '20s', startTime: '0s', exec: 'baseline' },
    partition: { executor: 'constant-vus', vus: 5, duration: '20s', startTime: '25s', exec: 'partitioned' },
    heal: { executor: 'constant-vus', vus: 5, duration: '20s', startTime: '50s', exec: 'healed' },
  },
  thresholds: {
    checks: ['rate>0.95'],
  },
};

const JSON_HEADERS = { headers: { 'Content-Type': 'application/json' } };

function firstIteration() {
  return exec.vu.idInTest % 5 === 1 && exec.vu.iterationInScenario === 0;
}

function incrementAndCheck() {
  const inc = http.post(
    `${BASE_URL}/api/increment`,
    JSON.stringify({ counter_name: 'partition_test', amount: 1 }),
    JSON_HEADERS,
  );
  check(inc, { 'increment 200': (r) => r.status === 200 });
  sleep(0.2);
  const view = http.get(`${BASE_URL}/api/counter/partition_test`);
  check(view, { 'read 200': (r) => r.status === 200 });
  if (view.status === 200) {
    const lag = view.json('convergence.lag');
    convergenceLag.add(lag);
    if (lag > 0) divergedReads.add(1, { phase: exec.scenario.name });
  }
  sleep(0.3);
}

export function setup() {
  http.post(`${BASE_URL}/admin/partition/all?enabled=false`, null, ADMIN);
}

export function baseline() {
  incrementAndCheck();
}

export function partitioned() {
  if (firstIteration()) {
    const res = http.post(`${BASE_URL}/admin/partition/${REGION}?enabled=true`, null, ADMIN);
    check(res, { 'partition enabled': (r) => r.status === 200 && r.json('network_partition') === true });
  }
  incrementAndCheck();
}

export function healed() {
  if (firstIteration()) {
    const res = http.post(`${BASE_URL}/admin/partition/${REGION}?enabled=false`, null, ADMIN);
    check(res, { 'partition healed': (r) => r.status === 200 && r.json('network_partition') === false });
    http.post(`${BASE_URL}/admin/force-sync`, null, ADMIN);
  }
  incrementAndCheck();
}

export function teardown() {
  http.post(`${BASE_URL}/admin/partition/all?enabled=false`, null, ADMIN);
  http.post(`${BASE_URL}/admin/force-sync`, null, ADMIN);
}
