import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { loadAppConfig } from '../../src/platform/config/app-config';
import { portOpen } from '../utils/concurrency';
import { post } from '../utils/http';

const ROOT = join(__dirname, '..', '..');
const WORKERS = 6;
const RACE_WINDOW_MS = 300;

/**
 * SIGTERM under write load, on the real process (`node src/main.ts` through ts-node): the ports
 * stop accepting, the requests in flight finish and are answered, the shutdown hooks run (Kafka
 * consumer leaves its group, Redis quits, the pools end) and the process exits 0. Every booking
 * the app acknowledged is in PostgreSQL.
 */
describe('graceful shutdown: SIGTERM under write load', () => {
  const namespace = `${process.env.KAFKA_NAMESPACE ?? 'test'}-shutdown-${Date.now()}`;
  const env = {
    ...process.env,
    LABS: 'booking,orders',
    KAFKA_NAMESPACE: namespace,
    LOG_LEVEL: 'log',
    PORT: '0',
  } as Record<string, string>;
  const config = loadAppConfig(env);
  const bookingPort = config.endpoints.find((e) => e.lab === 'booking')!.port;
  const base = `http://127.0.0.1:${bookingPort}`;
  let child: ChildProcess;
  let output = '';

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('drains in-flight writes, runs every hook, exits 0, and loses no acknowledged write', async () => {
    child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
      cwd: ROOT,
      env: { ...env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const deadline = Date.now() + 90_000;
    while (!(await portOpen(bookingPort)) || !/consumer running in group/.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`app did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect((await post(`${base}/admin/reset?event_id=1`)).status).toBe(200);
    expect((await post(`${base}/admin/strategy`, { strategy: 'none' })).status).toBeLessThan(300);
    expect((await post(`${base}/admin/settings`, { race_window_ms: RACE_WINDOW_MS })).status).toBe(200);

    const acknowledged: string[] = [];
    const refused: string[] = [];
    let sigtermAt = Number.POSITIVE_INFINITY;
    /** Requests sent before SIGTERM and answered after it: the drain at work. */
    const drainedAcks: string[] = [];
    let stop = false;
    let n = 0;
    const worker = async () => {
      while (!stop) {
        const customer = `shutdown_${n++}`;
        const sentAt = Date.now();
        try {
          const res = await post(`${base}/book`, {
            event_id: 1,
            seat_number: `A${1 + (n % 10)}`,
            customer_id: customer,
          });
          if (res.status === 200) {
            acknowledged.push(customer);
            if (sentAt < sigtermAt && Date.now() > sigtermAt) drainedAcks.push(customer);
          } else refused.push(`${customer}:${res.status}`);
        } catch {
          // Connection refused or reset: the port is closed, nothing was acknowledged.
          if (Date.now() > sigtermAt) stop = true;
          else await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    const workers = Array.from({ length: WORKERS }, worker);
    await new Promise((r) => setTimeout(r, 2000));
    expect(acknowledged.length).toBeGreaterThan(0);

    sigtermAt = Date.now();
    child.kill('SIGTERM');
    const code = await exit;
    stop = true;
    await Promise.all(workers);
    const exitedAfterMs = Date.now() - sigtermAt;
    process.stdout.write(
      `graceful shutdown: ${acknowledged.length} acknowledged (${drainedAcks.length} answered during the drain), ` +
        `${refused.length} refused, exit ${code} after ${exitedAfterMs} ms\n`,
    );

    expect(code).toBe(0);
    expect(output).toMatch(/draining in-flight requests/);
    expect(output).toMatch(/drained; running shutdown hooks/);
    expect(output).toMatch(/\[Redis\].*connections closed/);
    expect(output).toMatch(/\[Database\].*pools ended/);
    expect(output).toMatch(/shutdown hooks done/);
    expect(drainedAcks.length).toBeGreaterThan(0);

    // Every acknowledged booking is stored.
    const db = new Client({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 5000 });
    await db.connect();
    try {
      const { rows } = await db.query<{ customer_id: string }>(
        `SELECT customer_id FROM booking.bookings WHERE customer_id = ANY($1)`,
        [acknowledged],
      );
      const stored = new Set(rows.map((r) => r.customer_id));
      expect(acknowledged.filter((c) => !stored.has(c))).toEqual([]);
    } finally {
      await db.end();
    }

    // The consumer left its group on the way out (a killed one would linger until its session timed out).
    const kafka = new Kafka({ brokers: config.kafkaBrokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups([`${namespace}.order-processors`]);
      expect(groups[0].members).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  }, 180_000);
});
