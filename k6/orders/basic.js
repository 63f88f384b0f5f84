// Orders lab, basic load: ramp to 10 virtual users posting single orders to the producer.
// Run: k6 run k6/orders/basic.js   (BASE_URL defaults to the producer's seed port)
import http from 'k6/http';
import { check, sleep } from 'k6';
import { Rate, Trend } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://localhost:8000';

export const errors = new Rate('errors');
export const requestLatency = new Trend('request_latency', true);

export const options = {
  stages: [
    { duration: '30s', target: 10 },
    { duration: '1m', target: 10 },
    { duration: '30s', target: 0 },
  ],
  thresholds: {
    http_req_duration: ['p(95)<2000'],
    errors: ['rate<0.1'],
  },
};

export default function () {
  const payload = JSON.stringify({
    customer_id: `customer-${Math.floor(Math.random() * 100)}`,
    items: [{ name: 'Load Test Item', quantity: 1, price: 29.99 }],
    total_amount: 29.99,
  });
  const res = http.post(`${BASE_URL}/orders`, payload, { headers: { 'Content-Type': 'application/json' } });
  requestLatency.add(res.timings.duration);
  let body = {};
  try {
    body = res.json();
  } catch (e) {
    body = {};
  }
  const ok = check(res, {
    'status is 200': (r) => r.status === 200,
    'order accepted': () => body.status === 'accepted',
    'has order_id': () => typeof body.order_id === 'string' && body.order_id.length > 0,
    'has trace_id': () => typeof body.trace_id === 'string' && body.trace_id.length > 0,
  });
  errors.add(!ok);
  sleep(0.5);
}

export function handleSummary(data) {
  return { stdout: JSON.stringify(data, null, 2) };
}
