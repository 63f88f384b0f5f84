import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp } from '../utils/app';
import { eventually, portOpen } from '../utils/concurrency';
import { get } from '../utils/http';
import { freePort } from '../utils/ports';

/**
 * Liveness and readiness apart: /health/live answers while the process does; /health/ready (and
 * /health/ready/:lab) answer 503 while a dependency a selected lab needs is down or frozen, and
 * the labs that do not need it keep serving. The frozen dependency is a private redis-server of
 * this test (SIGSTOP), never the shared one.
 */
describe('health: liveness and readiness', () => {
  it('is live and ready on the real dependencies, with the summary still at /health', async () => {
    const app = await startApp({ LABS: 'booking' });
    try {
      expect((await get(`${app.url}/health/live`)).body).toMatchObject({ status: 'ok', uptime_s: expect.any(Number) });
      const ready = await get(`${app.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ready', labs: { booking: { status: 'up' } } });
      expect(ready.body.dependencies.postgres.status).toBe('up');
      expect((await get(`${app.url}/health/ready/booking`)).status).toBe(200);
      const unknown = await get(`${app.url}/health/ready/orders`);
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('HEALTH.UNKNOWN_LAB');
      expect((await get(`${app.url}/health`)).body.status).toBe('ok');
    } finally {
      await app.close();
    }
  });

  it('is not ready while Kafka is down, for the orders lab only; booking stays ready and serving', async () => {
    const app = await startApp({ LABS: 'orders,booking', KAFKA_BROKERS: '127.0.0.1:1' });
    try {
      const ready = await get(`${app.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({
        statusCode: 503,
        code: 'HEALTH.NOT_READY',
        details: { labs: { orders: { status: 'down', down: ['kafka'] }, booking: { status: 'up' } } },
      });
      expect(ready.body.message).toContain('orders (kafka)');
      expect((await get(`${app.url}/health/ready/orders`)).status).toBe(503);
      expect((await get(`${app.url}/health/ready/booking`)).status).toBe(200);
      expect((await get(`${app.url}/health/live`)).status).toBe(200);
      expect((await get(`${app.url}/booking/events/1`)).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  describe('with a private Redis that freezes', () => {
    let redis: ChildProcess;
    let port: number;
    let dir: string;
    beforeAll(async () => {
      port = await freePort();
      dir = mkdtempSync(join(tmpdir(), 'labs-health-redis-'));
      redis = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
        {
          stdio: 'ignore',
        },
      );
      await eventually(
        () => portOpen(port),
        (open) => open,
      );
    });
    afterAll(async () => {
      if (redis?.pid) {
        redis.kill('SIGCONT');
        redis.kill('SIGKILL');
        await new Promise((r) => redis.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it('answers 503 within the probe timeout while Redis is frozen, and ready again once it thaws', async () => {
      const app = await startApp({ LABS: 'booking', REDIS_URL: `redis://127.0.0.1:${port}` });
      try {
        expect((await get(`${app.url}/health/ready`)).status).toBe(200);
        redis.kill('SIGSTOP');
        const started = Date.now();
        const frozen = await get(`${app.url}/health/ready`);
        const took = Date.now() - started;
        expect(frozen.status).toBe(503);
        expect(frozen.body.details.labs.booking.down).toEqual(['redis']);
        expect(frozen.body.details.dependencies.redis.error).toMatch(/redis ping/);
        // bounded by the 1.5 s probe timeout (plus a round already in flight), never by Redis
        expect(took).toBeLessThan(4000);
        expect((await get(`${app.url}/health/live`)).status).toBe(200);
        redis.kill('SIGCONT');
        await eventually(
          () => get(`${app.url}/health/ready`),
          (r) => r.status === 200,
          { timeoutMs: 15000, intervalMs: 300 },
        );
      } finally {
        redis.kill('SIGCONT');
        await app.close();
      }
    });
  });
});
