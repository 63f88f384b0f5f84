import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { join } from 'node:path';
import { eventually } from '../utils/concurrency';
import { get, request } from '../utils/http';
import { freePort, waitForFreePorts } from '../utils/ports';
import { loadAppConfig } from '../../src/platform/config/app-config';

/**
 * Traces that show where the labs' time goes: the real app as its own process (the OpenTelemetry
 * instrumentations patch pg, ioredis and kafkajs as Node requires them, which jest's module loader
 * bypasses), exporting OTLP/HTTP JSON to a collector of this test. A request sent with its own
 * sampled traceparent must come back as one trace holding the SQL (SELECT … FOR UPDATE), the
 * Redis lock commands, and the Kafka send with the consumer's processing as its child (the context
 * travels in the message headers); and the debug log lines of that request carry its trace id.
 */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: Array<{ key: string; value: { stringValue?: string; intValue?: string | number } }>;
}
const SPAN_KIND_PRODUCER = 4;

const attr = (span: OtlpSpan, ...keys: string[]) =>
  span.attributes?.find((a) => keys.includes(a.key))?.value.stringValue ?? undefined;

describe('tracing: PostgreSQL, Redis and Kafka spans in the request trace', () => {
  const spans: OtlpSpan[] = [];
  let collector: Server;
  let app: ChildProcess;
  let url: string;
  let output = '';
  const shift = Number(process.env.NODE_PORTS_SHIFT ?? 20000) + 500;

  beforeAll(async () => {
    collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
          };
          for (const rs of body.resourceSpans ?? [])
            for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
        } catch {
          /* a protobuf or broken body leaves spans empty and the assertions say so */
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    const collectorPort = await freePort();
    await new Promise<void>((r) => collector.listen(collectorPort, '127.0.0.1', r));
    const port = await freePort();
    const env = {
      ...process.env,
      LABS: 'booking,orders',
      PORT: String(port),
      NODE_PORTS_SHIFT: String(shift),
      LOG_LEVEL: 'debug',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
      OTEL_BSP_SCHEDULE_DELAY: '500',
    };
    await waitForFreePorts(loadAppConfig(env).endpoints.map((e) => e.port));
    app = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', join(__dirname, '..', '..', 'src', 'main.ts')],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    app.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    app.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    url = `http://127.0.0.1:${port}`;
    await eventually(
      () => get(`${url}/health/ready`).catch(() => ({ status: 0 })),
      (r) => r.status === 200,
      { timeoutMs: 90000, intervalMs: 500 },
    );
  });

  afterAll(async () => {
    if (app && app.exitCode === null) {
      app.kill('SIGTERM');
      await new Promise((r) => app.once('exit', r));
    }
    await new Promise((r) => collector?.close(r));
  });

  const traced = async (method: string, path: string, body?: unknown) => {
    const traceId = randomBytes(16).toString('hex');
    const res = await request(method, `${url}${path}`, body, {
      'content-type': 'application/json',
      traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
    });
    return { traceId, res };
  };
  const inTrace = (traceId: string) => spans.filter((s) => s.traceId === traceId);

  it('shows the row lock: SELECT … FOR UPDATE as a PostgreSQL span of the booking request', async () => {
    expect((await request('POST', `${url}/booking/admin/strategy`, { strategy: 'pessimistic' })).status).toBe(200);
    expect((await request('POST', `${url}/booking/admin/reset`)).status).toBe(200);
    const { traceId, res } = await traced('POST', '/booking/book', {
      event_id: 1,
      seat_number: 'A7',
      customer_id: 'trace-pg',
    });
    expect(res.body.status).toBe('confirmed');
    const found = await eventually(
      async () => inTrace(traceId),
      (s) => s.some((x) => /FOR UPDATE/i.test(attr(x, 'db.statement', 'db.query.text') ?? '')),
      { timeoutMs: 20000, intervalMs: 250 },
    );
    const server = found.find((s) => s.name.startsWith('POST'));
    expect(server).toBeDefined();
    expect(found.filter((s) => attr(s, 'db.system', 'db.system.name') === 'postgresql').length).toBeGreaterThan(1);
    expect(output).toContain(`trace_id=${traceId}`);
  });

  it('shows the Redis lock commands as Redis spans of the booking request (Redlock strategy)', async () => {
    expect((await request('POST', `${url}/booking/admin/strategy`, { strategy: 'distributed' })).status).toBe(200);
    const { traceId, res } = await traced('POST', '/booking/book', {
      event_id: 1,
      seat_number: 'A8',
      customer_id: 'trace-redis',
    });
    expect(res.body.status).toBe('confirmed');
    const found = await eventually(
      async () => inTrace(traceId),
      (s) => s.some((x) => attr(x, 'db.system', 'db.system.name') === 'redis'),
      { timeoutMs: 20000, intervalMs: 250 },
    );
    expect(found.some((x) => attr(x, 'db.system', 'db.system.name') === 'postgresql')).toBe(true);
  });

  it('carries the trace through Kafka headers: produce and consume in the trace of the order request', async () => {
    const { traceId, res } = await traced('POST', '/orders/producer/orders', {
      customer_id: 'trace-kafka',
      items: [{ name: 'Traced item', quantity: 1, price: 10 }],
      total_amount: 10,
    });
    expect(res.status).toBe(200);
    // the consumer's span is a child of the producer's send span: its context came in the headers
    const found = await eventually(
      async () => inTrace(traceId),
      (s) =>
        s.some(
          (c) =>
            c.name === 'process_message' && s.some((p) => p.kind === SPAN_KIND_PRODUCER && p.spanId === c.parentSpanId),
        ),
      { timeoutMs: 30000, intervalMs: 250 },
    );
    const send = found.find((x) => x.kind === SPAN_KIND_PRODUCER)!;
    expect(attr(send, 'messaging.system')).toBe('kafka');
    expect(send.name).toMatch(/^send /);
  });
});
