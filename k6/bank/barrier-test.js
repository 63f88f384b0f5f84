// Two $800 transfers from alice released together by the barrier, with a 200 ms delay:
// both pass the balance check, so in vulnerable mode alice ends at -600.
import http from 'k6/http';
import { check } from 'k6';
import { Counter, Trend } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://localhost:8000';
// Admin, fault and reset calls carry ADMIN_TOKEN (required when the app is bound beyond loopback, as in compose).
const ADMIN = { headers: { 'Content-Type': 'application/json', 'x-admin-token': __ENV.ADMIN_TOKEN || '' } };
const JSON_HEADERS = { headers: { 'Content-Type': 'application/json' }, timeout: '60s' };

const raceConditions = new Counter('race_conditions_triggered');
const transferLatency = new Trend('transfer_latency');

export const options = {
  vus: 2,
  iterations: 2,
};

export function setup() {
  http.post(`${BASE_URL}/reset`, null, ADMIN);
  http.post(`${BASE_URL}/admin/barrier?enabled=true&count=2`, null, ADMIN);
  http.post(`${BASE_URL}/admin/delay?enabled=true&ms=200`, null, ADMIN);
  const alice = http.get(`${BASE_URL}/accounts/alice`).json();
  return { initial_balance: alice.balance };
}

export default function (data) {
  const res = http.post(
    `${BASE_URL}/transfer`,
    JSON.stringify({ from_account: 'alice', to_account: 'bob', amount: 800 }),
    JSON_HEADERS,
  );
  transferLatency.add(res.timings.duration);
  if (res.status === 200) {
    const body = res.json();
    console.log(
      `VU ${__VU}: status=${body.status} before=${body.from_balance_before} after=${body.from_balance_after} (initial ${data.initial_balance})`,
    );
    if (body.from_balance_after < 0) raceConditions.add(1);
  }
  check(res, { 'transfer completed': (r) => r.status === 200 });
}

export function teardown() {
  const alice = http.get(`${BASE_URL}/accounts/alice`).json();
  const bob = http.get(`${BASE_URL}/accounts/bob`).json();
  console.log(`alice=${alice.balance} bob=${bob.balance}`);
  http.post(`${BASE_URL}/admin/barrier?enabled=false`, null, ADMIN);
  http.post(`${BASE_URL}/admin/delay?enabled=false`, null, ADMIN);
}
