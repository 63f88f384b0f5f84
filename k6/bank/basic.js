// Steady alice → bob transfers of $100 under a ramp of virtual users.
// The runbook first sets safe mode off, the barrier off and a 50 ms delay:
//   curl -X POST "$BASE_URL/admin/transactions?enabled=false"
//   curl -X POST "$BASE_URL/admin/barrier?enabled=false"
//   curl -X POST "$BASE_URL/admin/delay?enabled=true&ms=50"
import http from 'k6/http';
import { check, sleep } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://localhost:8000';
// Admin, fault and reset calls carry ADMIN_TOKEN (required when the app is bound beyond loopback, as in compose).
const ADMIN = { headers: { 'Content-Type': 'application/json', 'x-admin-token': __ENV.ADMIN_TOKEN || '' } };
const JSON_HEADERS = { headers: { 'Content-Type': 'application/json' } };

const errors = new Rate('errors');
const raceConditions = new Counter('race_conditions_triggered');
const transferLatency = new Trend('transfer_latency');

export const options = {
  stages: [
    { duration: '10s', target: 5 },
    { duration: '30s', target: 10 },
    { duration: '10s', target: 0 },
  ],
  thresholds: {
    http_req_duration: ['p(95)<5000'],
    errors: ['rate<0.5'],
  },
};

export function setup() {
  http.post(`${BASE_URL}/reset`, null, ADMIN);
}

export default function () {
  const res = http.post(
    `${BASE_URL}/transfer`,
    JSON.stringify({ from_account: 'alice', to_account: 'bob', amount: 100 }),
    JSON_HEADERS,
  );
  transferLatency.add(res.timings.duration);
  errors.add(res.status !== 200);

  const body = res.status === 200 ? res.json() : {};
  if (body.from_balance_after < 0) raceConditions.add(1);

  check(res, {
    'status is 200': (r) => r.status === 200,
    'has transfer id': () => typeof body.id === 'string',
    'has balances': () => body.from_balance_after !== undefined,
  });
  sleep(0.1);
}

export function teardown() {
  const res = http.get(`${BASE_URL}/accounts`);
  console.log(`final balances: ${res.body}`);
}
