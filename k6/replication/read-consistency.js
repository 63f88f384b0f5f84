// Eventual-consistency load: writes to the primary, immediate replica reads (stale or fresh),
// the time until both replicas caught up, and session reads through the client's read strategy.
// Run: k6 run k6/replication/read-consistency.js  (BASE_URL = the primary, seed port 8000)
import http from 'k6/http';
import { check, sleep } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://localhost:8000';
// Admin, fault and reset calls carry ADMIN_TOKEN (required when the app is bound beyond loopback, as in compose).
const ADMIN = { headers: { 'Content-Type': 'application/json', 'x-admin-token': __ENV.ADMIN_TOKEN || '' } };
const PRIMARY_URL = __ENV.PRIMARY_URL || BASE_URL;
const REPLICA1_URL = __ENV.REPLICA1_URL || 'http://localhost:8001';
const REPLICA2_URL = __ENV.REPLICA2_URL || 'http://localhost:8002';
const CLIENT_URL = __ENV.CLIENT_URL || 'http://localhost:8003';
const REPLICAS = [REPLICA1_URL, REPLICA2_URL];
const JSON_HEADERS = { headers: { 'Content-Type': 'application/json' } };
// The client's read strategy for the session_reads scenario, selected in setup().
const READ_STRATEGY = __ENV.READ_STRATEGY || 'read-your-writes';
const GUARANTEES_OWN_WRITES = ['read-your-writes', 'primary-only', 'monotonic-reads'].includes(READ_STRATEGY);

const staleReads = new Counter('stale_reads');
const freshReads = new Counter('fresh_reads');
const staleReadRate = new Rate('stale_read_rate');
const consistencyWindow = new Trend('consistency_window_ms', true);
const writeLatency = new Trend('write_latency_ms', true);
const readLatency = new Trend('read_latency_ms', true);
const missedOwnWrites = new Rate('session_missed_own_write_rate');

export const options = {
  scenarios: {
    write_then_read: {
      executor: 'constant-arrival-rate',
      rate: 5,
      timeUnit: '1s',
      duration: '2m',
      preAllocatedVUs: 10,
      maxVUs: 20,
      exec: 'writeAndRead',
    },
    read_only: {
      executor: 'constant-vus',
      vus: 5,
      duration: '2m',
      exec: 'readOnly',
    },
    session_reads: {
      executor: 'constant-vus',
      vus: 2,
      duration: '2m',
      exec: 'sessionReads',
    },
  },
  thresholds: Object.assign(
    { http_req_duration: ['p(95)<3000'] },
    // Whatever the lag, these strategies never let a session miss its own write.
    GUARANTEES_OWN_WRITES ? { session_missed_own_write_rate: ['rate==0'] } : {},
  ),
};

export function setup() {
  const res = http.post(`${CLIENT_URL}/admin/read-strategy`, JSON.stringify({ strategy: READ_STRATEGY }), ADMIN);
  check(res, { 'read strategy selected': (r) => r.status === 200 && r.json('strategy') === READ_STRATEGY });
}

function replicaVersion(url) {
  const res = http.get(`${url}/version`, { tags: { name: 'replica /version' } });
  readLatency.add(res.timings.duration);
  return res.status === 200 ? res.json('version') : -1;
}

export function writeAndRead() {
  const key = `key-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const res = http.post(`${PRIMARY_URL}/data`, JSON.stringify({ key, value: `v-${__ITER}` }), JSON_HEADERS);
  writeLatency.add(res.timings.duration);
  if (!check(res, { 'write 200': (r) => r.status === 200, 'write has version': (r) => r.json('version') > 0 })) return;
  const written = res.json('version');
  const writtenAt = Date.now();
  let anyStale = false;
  for (const url of REPLICAS) {
    const fresh = replicaVersion(url) >= written;
    (fresh ? freshReads : staleReads).add(1);
    staleReadRate.add(!fresh);
    anyStale = anyStale || !fresh;
  }
  if (!anyStale) {
    consistencyWindow.add(0);
  } else {
    while (Date.now() - writtenAt < 5000) {
      sleep(0.05);
      if (REPLICAS.every((url) => replicaVersion(url) >= written)) {
        consistencyWindow.add(Date.now() - writtenAt);
        break;
      }
    }
  }
  sleep(0.1);
}

export function readOnly() {
  const primary = http.get(`${PRIMARY_URL}/version`, { tags: { name: 'primary /version' } });
  check(primary, { 'primary 200': (r) => r.status === 200 });
  const head = primary.status === 200 ? primary.json('version') : 0;
  for (const url of REPLICAS) {
    const fresh = replicaVersion(url) >= head;
    (fresh ? freshReads : staleReads).add(1);
    staleReadRate.add(!fresh);
  }
  sleep(0.5);
}

export function sessionReads() {
  const key = `session-${__VU}-${__ITER}`;
  const write = http.post(`${CLIENT_URL}/writes`, JSON.stringify({ key, value: __ITER }), JSON_HEADERS);
  if (!check(write, { 'session write 200': (r) => r.status === 200 })) return;
  const read = http.get(`${CLIENT_URL}/reads?key=${encodeURIComponent(key)}&session=${write.json('session')}`, {
    tags: { name: 'client /reads' },
  });
  if (check(read, { 'session read 200': (r) => r.status === 200 }))
    missedOwnWrites.add(read.json('missed_own_write') === true);
  sleep(0.2);
}

export default function () {
  const res = http.post(
    `${CLIENT_URL}/write-and-read`,
    JSON.stringify({ key: `k6-${Date.now()}`, value: 'v' }),
    JSON_HEADERS,
  );
  check(res, { 'write-and-read 200': (r) => r.status === 200 });
  sleep(0.5);
}
