// Two VUs, two iterations each, all moving $800 from alice to bob. It does not touch the delay,
// the barrier or safe mode: run it after configuring them to compare strategies.
import http from 'k6/http';
import { check } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://localhost:8000';
// Admin, fault and reset calls carry ADMIN_TOKEN (required when the app is bound beyond loopback, as in compose).
const ADMIN = { headers: { 'Content-Type': 'application/json', 'x-admin-token': __ENV.ADMIN_TOKEN || '' } };
const JSON_HEADERS = { headers: { 'Content-Type': 'application/json' }, timeout: '60s' };

const errors = new Rate('errors');
const raceConditions = new Counter('race_conditions_triggered');
const doubleSpends = new Counter('double_spends');
const transferLatency = new Trend('transfer_latency');

export const options = {
  scenarios: {
    concurrent: { executor: 'per-vu-iterations', vus: 2, iterations: 2, maxDuration: '2m' },
  },
  thresholds: {
    errors: ['rate<0.9'],
  },
};

export function setup() {
  http.post(`${BASE_URL}/reset`, null, ADMIN);
  const alice = http.get(`${BASE_URL}/accounts/alice`).json();
  return { initial_balance: alice.balance };
}

export default function () {
  const res = http.post(
    `${BASE_URL}/transfer`,
    JSON.stringify({ from_account: 'alice', to_account: 'bob', amount: 800 }),
    JSON_HEADERS,
  );
  transferLatency.add(res.timings.duration);
  errors.add(res.status !== 200);
  if (res.status === 200) {
    const body = res.json();
    console.log(`VU ${__VU}: status=${body.status} from_balance_before=${body.from_balance_before}`);
    if (body.status === 'success' && body.from_balance_after < 0) {
      raceConditions.add(1);
      doubleSpends.add(1);
    }
  }
  check(res, { 'status is 200': (r) => r.status === 200 });
}

export function teardown() {
  const alice = http.get(`${BASE_URL}/accounts/alice`).json();
  const bob = http.get(`${BASE_URL}/accounts/bob`).json();
  console.log(`alice=${alice.balance} bob=${bob.balance}`);
  const log = http.get(`${BASE_URL}/transactions?limit=10`).json();
  console.log(`last transactions: ${JSON.stringify(log.transactions)}`);
}
