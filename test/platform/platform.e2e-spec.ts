import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { RunningApp } from '../../src/bootstrap';
import { startApp } from '../utils/app';
import { eventually, portOpen } from '../utils/concurrency';
import { get, post, request } from '../utils/http';

const SHIFT = Number(process.env.NODE_PORTS_SHIFT);
const ALL_PORTS = [8000, 8100, 8200, 8201, 8203, 8300, 8301, 8302, 8303, 8304, 8380, 8400, 8401, 8402, 8403];

describe('platform: all labs in one process', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp({ LABS: 'all' });
  });
  afterAll(() => app.close());

  it('answers /health and /metrics on every node port of the DESIGN table', async () => {
    for (const port of ALL_PORTS) {
      const health = await get(`http://127.0.0.1:${port + SHIFT}/health`);
      expect({ port, status: health.status }).toEqual({ port, status: 200 });
      const metrics = await fetch(`http://127.0.0.1:${port + SHIFT}/metrics`);
      expect(await metrics.text()).toContain('process_cpu_user_seconds_total');
    }
  });

  it('reports postgres, redis and kafka up on the main port', async () => {
    const health = await eventually(
      () => get(`${app.url}/health`),
      (r) => r.body.dependencies.kafka?.status === 'up',
    );
    expect(health.body.status).toBe('ok');
    for (const dep of ['postgres', 'redis', 'kafka']) expect(health.body.dependencies[dep].status).toBe('up');
    expect(Object.keys(health.body.labs)).toEqual(['booking', 'bank', 'orders', 'counter', 'replication']);
  });

  it('lists labs, nodes and ports in /admin/labs and documents the API at /docs', async () => {
    const labs = await get(`${app.url}/admin/labs`);
    const counter = labs.body.labs.find((l: { lab: string }) => l.lab === 'counter');
    expect(counter.nodes.map((n: { node: string; port: number }) => [n.node, n.port - SHIFT])).toEqual([
      ['coordinator', 8300],
      ['us-east', 8301],
      ['us-west', 8302],
      ['eu-west', 8303],
      ['strong', 8304],
      ['gateway', 8380],
    ]);
    const docs = await get(`${app.url}/docs-json`);
    expect(docs.body.paths['/admin/labs']).toBeDefined();
    expect((await fetch(`${app.url}/docs`)).status).toBe(200);
  });

  it('turns bad input into 4xx JSON naming the problem', async () => {
    const malformed = await request('POST', `${app.url}/admin/labs/booking/strategies/x`, '{bad', {});
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('REQUEST.MALFORMED_JSON');
    const unknownField = await post(`${app.url}/admin/labs/booking/strategies/x`, { strategy: 'a', extra: 1 });
    expect(unknownField.status).toBe(400);
    expect(JSON.stringify(unknownField.body.details)).toContain('extra');
    const big = await post(`${app.url}/admin/labs/booking/strategies/x`, { strategy: 'x'.repeat(2 * 1024 * 1024) });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('REQUEST.BODY_TOO_LARGE');
    const unknownLab = await get(`${app.url}/admin/labs/nope`);
    expect(unknownLab.status).toBe(404);
    expect(unknownLab.body.code).toBe('ADMIN.UNKNOWN_LAB');
    const noRoute = await get(`${app.url}/no/such/route`);
    expect(noRoute.status).toBe(404);
    expect(noRoute.body.statusCode).toBe(404);
  });

  it('accepts JSON sent with curl’s default form content type', async () => {
    const res = await request('POST', `${app.url}/admin/labs/booking/strategies/x`, '{"strategy":1}', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('REQUEST.VALIDATION_FAILED');
  });

  it("joins the caller's W3C trace: a traceparent sent in continues in the lab's spans", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await request(
      'POST',
      `${app.url}/orders/producer/orders`,
      { customer_id: 'trace-check', items: [{ name: 'x', quantity: 1, price: 1 }], total_amount: 1 },
      { 'content-type': 'application/json', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    );
    expect(res.status).toBe(200);
    expect(res.body.trace_id).toBe(traceId);
  });

  it('crashes a node (its port stops answering) and restarts it', async () => {
    const port = 8201 + SHIFT;
    const crashed = await post(`${app.url}/admin/labs/orders/nodes/consumer/crash`);
    expect(crashed.body.up).toBe(false);
    expect(await portOpen(port)).toBe(false);
    expect((await get(`${app.url}/orders/consumer/health`)).status).toBe(503);
    const restarted = await post(`${app.url}/admin/labs/orders/nodes/consumer/restart`);
    expect(restarted.body).toMatchObject({ up: true, crashes: 1 });
    expect((await get(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  });
});

describe('platform: one lab selected', () => {
  it('serves only that lab, on the seed ports', async () => {
    const app = await startApp({ LABS: 'booking' });
    try {
      expect((await get(`http://127.0.0.1:${8000 + SHIFT}/health`)).status).toBe(200);
      for (const port of ALL_PORTS.filter((p) => p !== 8000)) expect(await portOpen(port + SHIFT)).toBe(false);
    } finally {
      await app.close();
    }
  });

  it('reports kafka down and the orders lab unhealthy while other labs keep serving', async () => {
    const app = await startApp({ LABS: 'orders,booking', KAFKA_BROKERS: '127.0.0.1:1' });
    try {
      const health = await eventually(
        () => get(`${app.url}/health`),
        (r) => r.body.dependencies.kafka.status === 'down',
      );
      expect(health.body.status).toBe('degraded');
      expect(health.body.labs.orders).toMatchObject({ status: 'down', down: ['kafka'] });
      expect(health.body.labs.booking.status).toBe('up');
      expect((await get(`${app.url}/booking/health`)).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('platform: bad configuration fails fast', () => {
  const main = join(__dirname, '..', '..', 'src', 'main.ts');
  it.each([
    [{ LABS: 'nope' }, /LABS/],
    [{ DATABASE_URL: 'not-a-url' }, /DATABASE_URL/],
  ])('exits non-zero naming the variable for %j', (env, pattern) => {
    const result = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', main], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 30000,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(pattern);
  });
});
