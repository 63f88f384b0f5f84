// Basic load on the gateway: increment, then read the global view.
// Run: k6 run k6/counter/basic.js  (BASE_URL defaults to the seed's gateway port)
import http from 'k6/http';
import { check, sleep } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://localhost:8080';

const errors = new Rate('errors');
const incrementLatency = new Trend('increment_latency', true);
const readLatency = new Trend('read_latency', true);
const incrementsPerRegion = new Counter('increments_per_region');

export const options = {
  stages: [
    { duration: '10s', target: 5 },
    { duration: '30s', target: 10 },
    { duration: '10s', target: 0 },
  ],
  thresholds: {
    http_req_duration: ['p(95)<500'],
    errors: ['rate<0.1'],
  },
};

const JSON_HEADERS = { headers: { 'Content-Type': 'application/json' } };

export default function () {
  const inc = http.post(
    `${BASE_URL}/api/increment`,
    JSON.stringify({ counter_name: 'views', amount: 1, routing: 'random' }),
    JSON_HEADERS,
  );
  const incOk = check(inc, {
    'increment status 200': (r) => r.status === 200,
    'increment has local_count': (r) => r.status === 200 && r.json('local_count') !== undefined,
  });
  errors.add(!incOk);
  incrementLatency.add(inc.timings.duration);
  if (inc.status === 200) incrementsPerRegion.add(1, { region: String(inc.json('region')) });
  sleep(0.1);

  const read = http.get(`${BASE_URL}/api/counter/views`);
  const readOk = check(read, {
    'read status 200': (r) => r.status === 200,
    'read has global_count': (r) => r.status === 200 && r.json('global_count') !== undefined,
    'read has convergence': (r) => r.status === 200 && r.json('convergence') !== undefined,
  });
  errors.add(!readOk);
  readLatency.add(read.timings.duration);
  sleep(0.2);
}
