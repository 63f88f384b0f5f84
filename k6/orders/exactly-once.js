// Orders lab, exactly-once scenarios: steady and bursty single orders, the same order sent three
// times, and atomic batches. Teardown reads the query api to check that no order was applied twice.
// Run: k6 run k6/orders/exactly-once.js   (BASE_URL = producer, API_URL = query api; seed ports by default)
import http from 'k6/http';
import { check, sleep } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://localhost:8000';
const API_URL = __ENV.API_URL || 'http://localhost:8003';
const JSON_HEADERS = { headers: { 'Content-Type': 'application/json' } };

export const errors = new Rate('errors');
export const orderLatency = new Trend('order_latency', true);
export const batchLatency = new Trend('batch_latency', true);
export const duplicateOrdersSent = new Counter('duplicate_orders_sent');

export const options = {
  scenarios: {
    steady_load: {
      executor: 'constant-arrival-rate',
      rate: 10,
      timeUnit: '1s',
      duration: '2m',
      preAllocatedVUs: 20,
      maxVUs: 50,
      exec: 'singleOrder',
    },
    burst_load: {
      executor: 'ramping-arrival-rate',
      startTime: '2m',
      startRate: 5,
      timeUnit: '1s',
      stages: [
        { duration: '30s', target: 5 },
        { duration: '30s', target: 50 },
        { duration: '30s', target: 5 },
        { duration: '30s', target: 100 },
        { duration: '30s', target: 5 },
      ],
      preAllocatedVUs: 100,
      maxVUs: 200,
      exec: 'singleOrder',
    },
    duplicate_test: {
      executor: 'constant-arrival-rate',
      startTime: '5m',
      rate: 2,
      timeUnit: '1s',
      duration: '1m',
      preAllocatedVUs: 5,
      maxVUs: 10,
      exec: 'duplicateOrder',
    },
    batch_test: {
      executor: 'constant-arrival-rate',
      startTime: '6m',
      rate: 1,
      timeUnit: '1s',
      duration: '1m',
      preAllocatedVUs: 5,
      maxVUs: 10,
      exec: 'batchOrders',
    },
  },
  thresholds: {
    http_req_duration: ['p(95)<1000'],
    errors: ['rate<0.05'],
  },
};

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomString(length) {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET.charAt(Math.floor(Math.random() * ALPHABET.length));
  return out;
}

function randomInt(min, max) {
  return min + Math.floor(Math.random() * (max - min + 1));
}

function generateOrder(orderId) {
  const widgets = randomInt(1, 5);
  const gadgets = randomInt(1, 3);
  const total = Math.round((widgets * 19.99 + gadgets * 49.99) * 100) / 100;
  return {
    order_id: orderId || `order-${randomString(8)}`,
    customer_id: `customer-${randomInt(0, 999)}`,
    items: [
      { name: 'Widget A', quantity: widgets, price: 19.99 },
      { name: 'Gadget B', quantity: gadgets, price: 49.99 },
    ],
    total_amount: total,
  };
}

function parse(res) {
  try {
    return res.json();
  } catch (e) {
    return {};
  }
}

export function singleOrder() {
  const res = http.post(`${BASE_URL}/orders`, JSON.stringify(generateOrder()), JSON_HEADERS);
  orderLatency.add(res.timings.duration);
  const body = parse(res);
  errors.add(!check(res, { 'order accepted': (r) => r.status === 200 && body.status === 'accepted' }));
}

export function duplicateOrder() {
  const order = generateOrder(`dup-order-${randomString(6)}`);
  for (let i = 0; i < 3; i++) {
    const res = http.post(`${BASE_URL}/orders`, JSON.stringify(order), JSON_HEADERS);
    duplicateOrdersSent.add(1);
    errors.add(!check(res, { 'duplicate accepted': (r) => r.status === 200 }));
    sleep(0.05);
  }
}

export function batchOrders() {
  const size = randomInt(3, 7);
  const orders = [];
  for (let i = 0; i < size; i++) orders.push(generateOrder());
  const res = http.post(`${BASE_URL}/orders/batch`, JSON.stringify({ orders }), JSON_HEADERS);
  batchLatency.add(res.timings.duration);
  const body = parse(res);
  errors.add(
    !check(res, { 'batch committed': (r) => r.status === 200 && body.status === 'committed' && body.count === size }),
  );
}

export function teardown() {
  sleep(5);
  const stats = parse(http.get(`${API_URL}/stats`));
  const duplicates = parse(http.get(`${API_URL}/stats/duplicates`));
  console.log(
    `processed messages: ${stats.total_processed_messages}, unique orders: ${stats.total_unique_orders}, ` +
      `redeliveries detected: ${stats.redeliveries_detected}, duplicate side effects: ${stats.duplicate_side_effects}`,
  );
  console.log(
    `unique_message_count: ${duplicates.unique_message_count}, total_database_rows: ${duplicates.total_database_rows}, ` +
      `idempotency_working: ${duplicates.idempotency_working}`,
  );
  check(duplicates, { 'no order applied twice': (d) => d.idempotency_working === true });
}
