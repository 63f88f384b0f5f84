// Every strategy against the same attack: for each seat of a round, BATCH_SIZE requests for that
// one seat leave together in one http.batch (the seed script spread a batch over 10 seats, so no
// two requests ever raced). Run: k6 run k6/booking/strategy-comparison.js
import http from 'k6/http';
import { group, sleep } from 'k6';
import { Counter, Trend } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://localhost:8000';
// Admin, fault and reset calls carry ADMIN_TOKEN (required when the app is bound beyond loopback, as in compose).
const ADMIN = { headers: { 'Content-Type': 'application/json', 'x-admin-token': __ENV.ADMIN_TOKEN || '' } };
const STRATEGIES = ['none', 'pessimistic', 'optimistic', 'distributed', 'fenced'];
const SEATS = ['A1', 'A2', 'A3', 'A4', 'A5'];
const BATCH_SIZE = Number(__ENV.BATCH_SIZE || 10);
const JSON_PARAMS = { headers: { 'Content-Type': 'application/json' } };

const metrics = {};
for (const s of STRATEGIES) {
  metrics[s] = {
    doubleBookings: new Counter(`${s}_double_bookings`),
    successful: new Counter(`${s}_successful`),
    failed: new Counter(`${s}_failed`),
    latency: new Trend(`${s}_latency`, true),
  };
}

export const options = {
  scenarios: {
    strategy_comparison: {
      executor: 'per-vu-iterations',
      vus: 1,
      iterations: 1,
      maxDuration: '10m',
      exec: 'compareStrategies',
    },
  },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(95)', 'p(99)'],
};

export function compareStrategies() {
  for (const strategy of STRATEGIES) {
    group(`Testing ${strategy} strategy`, function () {
      http.post(`${BASE_URL}/admin/strategy`, JSON.stringify({ strategy }), ADMIN);
      http.post(`${BASE_URL}/admin/reset?event_id=1`, null, ADMIN);
      sleep(1);

      for (const seat of SEATS) {
        const requests = [];
        for (let i = 0; i < BATCH_SIZE; i++) {
          const body = {
            event_id: 1,
            seat_number: seat,
            customer_id: `customer_${strategy}_${seat}_${i}_${Date.now()}`,
          };
          requests.push(['POST', `${BASE_URL}/book`, JSON.stringify(body), JSON_PARAMS]);
        }
        for (const res of http.batch(requests)) {
          metrics[strategy].latency.add(res.timings.duration);
          const status = res.status === 200 ? res.json('status') : 'error';
          if (status === 'confirmed') metrics[strategy].successful.add(1);
          else if (status === 'double_booked') metrics[strategy].doubleBookings.add(1);
          else metrics[strategy].failed.add(1);
        }
      }

      const doubles = http.get(`${BASE_URL}/admin/double-bookings`).json('count');
      const totals = http.get(`${BASE_URL}/admin/stats`).json('totals');
      console.log(
        `${strategy}: ${doubles} double-booked seats; confirmed ${totals.confirmed}, failed ${totals.failed}, ` +
          `double_booked ${totals.double_booked}, total ${totals.total}`,
      );
      sleep(1);
    });
  }

  const compare = http.post(`${BASE_URL}/admin/compare`, JSON.stringify({ requests: 20 }), ADMIN);
  if (compare.status === 200) {
    for (const r of compare.json('results')) {
      console.log(
        `server-side ${r.strategy}: confirmed ${r.confirmed}, failed ${r.failed}, double bookings ${r.double_bookings}, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms`,
      );
    }
  }
}

export function handleSummary(data) {
  const value = (name, field) => (data.metrics[name] ? data.metrics[name].values[field] : 0);
  const strategies = {};
  for (const s of STRATEGIES) {
    strategies[s] = {
      double_bookings: value(`${s}_double_bookings`, 'count'),
      successful: value(`${s}_successful`, 'count'),
      failed: value(`${s}_failed`, 'count'),
      avg_latency: value(`${s}_latency`, 'avg'),
      p99_latency: value(`${s}_latency`, 'p(99)'),
    };
  }
  return { stdout: JSON.stringify({ strategies }, null, 2) + '\n' };
}
