// The seed's load test: 20 VUs x 5 iterations booking random seats among A1..B10 of event 1.
// Run: k6 run k6/booking/concurrent-booking.js  (BASE_URL defaults to the seed port)
import http from 'k6/http';
import { check, sleep } from 'k6';
import { SharedArray } from 'k6/data';
import { Counter, Rate, Trend } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://localhost:8000';
// Admin, fault and reset calls carry ADMIN_TOKEN (required when the app is bound beyond loopback, as in compose).
const ADMIN = { headers: { 'Content-Type': 'application/json', 'x-admin-token': __ENV.ADMIN_TOKEN || '' } };
const JSON_HEADERS = { headers: { 'Content-Type': 'application/json' } };

const doubleBookings = new Counter('double_bookings');
const successfulBookings = new Counter('successful_bookings');
const failedBookings = new Counter('failed_bookings');
const bookingLatency = new Trend('booking_latency', true);
const errors = new Rate('errors');

const seats = new SharedArray('seats', function () {
  const list = [];
  for (let n = 0; n < 100; n++) list.push(String.fromCharCode(65 + Math.floor(n / 10)) + ((n % 10) + 1));
  return list;
});

export const options = {
  scenarios: {
    race_condition_test: {
      executor: 'per-vu-iterations',
      vus: 20,
      iterations: 5,
      maxDuration: '2m',
      exec: 'raceConditionTest',
    },
  },
  thresholds: {
    http_req_duration: ['p(95)<1000'],
    errors: ['rate<0.5'],
  },
};

export function setup() {
  http.post(`${BASE_URL}/admin/reset?event_id=1`, null, ADMIN);
  const strategy = http.get(`${BASE_URL}/admin/strategy`).json('strategy');
  console.log(`Testing with strategy: ${strategy}`);
  return { strategy };
}

function book(seat) {
  const customer = `customer_${__VU}_${__ITER}_${Date.now()}`;
  const started = Date.now();
  const res = http.post(
    `${BASE_URL}/book`,
    JSON.stringify({ event_id: 1, seat_number: seat, customer_id: customer }),
    JSON_HEADERS,
  );
  bookingLatency.add(Date.now() - started);
  const ok = check(res, {
    'status is 200': (r) => r.status === 200,
    'has status field': (r) => r.status === 200 && r.json('status') !== undefined,
  });
  errors.add(!ok);
  if (res.status !== 200) return;
  const status = res.json('status');
  if (status === 'confirmed') successfulBookings.add(1);
  else if (status === 'double_booked') {
    doubleBookings.add(1);
    console.warn(res.json('message'));
  } else failedBookings.add(1);
}

export function raceConditionTest() {
  book(seats[Math.floor(Math.random() * 20)]);
  sleep(0.1);
}

export function highConcurrencyTest() {
  book(seats[Math.floor(Math.random() * seats.length)]);
  sleep(0.05);
}

export function teardown() {
  const doubles = http.get(`${BASE_URL}/admin/double-bookings`).json();
  console.log(`Double-booked seats: ${doubles.count}`);
  for (const d of doubles.double_bookings) console.log(`  ${d.seat_number}: ${d.customers.join(', ')}`);
  const stats = http.get(`${BASE_URL}/admin/stats`).json();
  console.log(
    `Strategy ${stats.current_strategy}: confirmed ${stats.totals.confirmed}, failed ${stats.totals.failed}, ` +
      `double_booked ${stats.totals.double_booked}, total ${stats.totals.total}`,
  );
}

export function handleSummary(data) {
  const value = (name, field) => (data.metrics[name] ? data.metrics[name].values[field] : 0);
  const summary = {
    metrics: {
      double_bookings: value('double_bookings', 'count'),
      successful_bookings: value('successful_bookings', 'count'),
      failed_bookings: value('failed_bookings', 'count'),
      booking_latency_avg: value('booking_latency', 'avg'),
      booking_latency_p95: value('booking_latency', 'p(95)'),
      http_reqs: value('http_reqs', 'count'),
    },
  };
  return { stdout: JSON.stringify(summary, null, 2) + '\n' };
}
