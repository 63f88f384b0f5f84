import { INestApplication, Logger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { AppModule } from './app.module';
import { LAB_API_TAGS } from './labs';
import { AppConfig } from './platform/config/app-config';
import { NodeLifecycleService } from './platform/faults/node-lifecycle.service';
import { DependencyHealthService } from './platform/health/dependency-health.service';
import { nodeDown, nodeOfPath } from './platform/faults/node-down.guard';
import { httpTracingMiddleware } from './platform/observability/http-tracing.middleware';
import { TraceContextLogger } from './platform/observability/trace-logger';
import { AllExceptionsFilter } from './platform/http/all-exceptions.filter';
import { answerClientErrorsAsJson } from './platform/http/client-error';
import { requestContext } from './platform/http/request-context';
import { jsonBodyParser } from './platform/http/json-body';
import { buildOpenApiDocument } from './platform/http/openapi';
import { NodePortsService } from './platform/http/node-ports.service';
import {
  adminTokenGuard,
  crossOriginGuard,
  requestTimeout,
  SendError,
  textGuard,
} from './platform/http/request-guards';
import { createValidationPipe } from './platform/http/validation';
import { isLoopbackHost } from './platform/config/env.schema';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

export interface RunningApp {
  app: INestApplication;
  config: AppConfig;
  /** http://127.0.0.1:<main port> */
  url: string;
  close(): Promise<void>;
  /**
   * Graceful stop (SIGTERM): every port stops accepting, in-flight requests finish (at most
   * SHUTDOWN_DRAIN_MS, then their connections are dropped), then every shutdown hook runs
   * (Kafka consumers and producers disconnect, Redis quits, the database pools end).
   */
  shutdown(): Promise<{ drained: boolean }>;
}

/** Builds the app for a validated config: main port, docs, and one port per selected node. */
export async function bootstrap(config: AppConfig): Promise<RunningApp> {
  const level = LEVELS.indexOf(config.env.LOG_LEVEL === 'log' ? 'log' : config.env.LOG_LEVEL);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    // A failing boot or provider lookup throws (main.ts reports it and exits 1) instead of Nest
    // ending the process itself: a test asking for a provider that is not there fails, not the run.
    abortOnError: false,
    bodyParser: false,
    logger: new TraceContextLogger(LEVELS.slice(0, level + 1)),
  });
  app.use(httpTracingMiddleware());
  const filter = new AllExceptionsFilter();
  const send: SendError = (res, err) => {
    const body = filter.toBody(err);
    res.status(body.statusCode).json(body);
  };
  // Every port shares this app, so these bound and guard the node ports too.
  app.use(requestTimeout(config.env.REQUEST_TIMEOUT_MS, send));
  const loopbackOnly = isLoopbackHost(config.env.HOST);
  app.use(crossOriginGuard(loopbackOnly, send));
  if (config.env.ADMIN_TOKEN) app.use(adminTokenGuard(config.env.ADMIN_TOKEN, send));
  const parser = jsonBodyParser(config.env.BODY_LIMIT);
  app.use((req: Request, res: Response, next: NextFunction) =>
    parser(req, res, (err?: unknown) => (err ? send(res, err) : next())),
  );
  app.use(textGuard(send));
  app.use(requestContext());
  if (config.isSupervised) {
    // Process mode: which instance answered, so a client behind the balancer (and a test) can tell them apart.
    const instance = String(config.env.LAB_INSTANCE);
    app.use((_req: Request, res: Response, next: NextFunction) => {
      res.setHeader('x-lab-instance', instance);
      res.setHeader('x-lab-pid', String(process.pid));
      next();
    });
  }
  const lifecycle = app.get(NodeLifecycleService);
  app.use((req: Request, res: Response, next: NextFunction) => {
    const down = nodeOfPath(req.url, config.endpoints);
    if (!down || !lifecycle.isDown(down.lab, down.node)) return next();
    send(res, nodeDown(down));
  });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(filter);
  app.set('etag', false);
  app.disable('x-powered-by');

  const document = openApiDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });

  answerClientErrorsAsJson(app.getHttpServer() as import('node:http').Server);
  try {
    await app.listen(config.port, config.env.HOST);
    await app.get(NodePortsService).openAll(app.getHttpAdapter().getInstance());
  } catch (err) {
    // A port that cannot be opened must not leave a half-started app holding connections.
    await app.close().catch(() => undefined);
    throw err;
  }
  const server = app.getHttpServer() as import('node:http').Server;
  const address = server.address();
  const mainPort = typeof address === 'object' && address ? address.port : config.port;

  const ports = app.get(NodePortsService);
  return {
    app,
    config,
    url: `http://127.0.0.1:${mainPort}`,
    close: () => app.close(),
    async shutdown() {
      const logger = new Logger('Shutdown');
      const limit = config.env.SHUTDOWN_DRAIN_MS;
      logger.log(`draining in-flight requests (at most ${limit} ms)`);
      const [main, nodes] = await Promise.all([drainServer(server, limit), ports.drainAll(limit)]);
      const drained = main && nodes;
      logger.log(
        drained
          ? 'drained; running shutdown hooks'
          : 'drain limit reached, connections dropped; running shutdown hooks',
      );
      await app.close();
      logger.log('shutdown hooks done');
      return { drained };
    },
  };
}

/** The OpenAPI document: the platform's tags, then one per selected lab. */
export function openApiDocument(app: INestApplication, config: AppConfig) {
  return buildOpenApiDocument(app, [
    {
      name: 'platform',
      description:
        'Health, readiness, Prometheus metrics and the uniform admin view of every lab (strategies, nodes, reset)',
    },
    {
      name: 'experiments',
      description: "Seeded workloads under a fault schedule, recorded op by op and judged by the lab's checker",
    },
    {
      name: 'console',
      description: 'The browser console at /console and the live lab state it is pushed (Server-Sent Events)',
    },
    ...[...config.labs.keys()].map((lab) => ({ name: lab, description: LAB_API_TAGS[lab] })),
  ]);
}

/** One progress line per selected lab once the app listens: its nodes' ports and whether what it needs is up. */
export function printLabsReady(running: RunningApp): void {
  const logger = new Logger('Labs');
  const health = running.app.get(DependencyHealthService);
  for (const [lab, nodes] of running.config.labs) {
    const ports = running.config.endpoints.filter((e) => e.lab === lab).map((e) => `:${e.port}`);
    const state = health.lab(lab);
    const after = `after ${process.uptime().toFixed(1)} s`;
    if (state.status === 'up') {
      logger.log(
        `${lab} ready: ${nodes.length} node(s) on ${ports.join(' ')}, ${state.dependencies.join(', ')} up (${after})`,
      );
    } else {
      logger.warn(
        `${lab} started but not ready: ${state.down.join(', ')} down; GET /health/ready/${lab} says when it is (${after})`,
      );
    }
  }
}

export function printUrlTable(running: RunningApp): void {
  const logger = new Logger('Labs');
  const rows = running.config.endpoints.map(
    (e) =>
      `  ${`${e.lab}:${e.node}`.padEnd(24)} http://127.0.0.1:${String(e.port).padEnd(6)} ${running.url}/${e.route}`,
  );
  logger.log(
    [
      `main port ${running.url}  (/health, /metrics, /docs, /admin/labs)`,
      `console   ${running.url}/console  (one page per lab, /console/experiments)`,
      `  ${'node'.padEnd(24)} ${'own port'.padEnd(23)} under the main port`,
      ...rows,
    ].join('\n'),
  );
}

/**
 * Stops accepting, lets requests in flight finish, closes keep-alive connections as they go idle;
 * after `limitMs` drops what is left. Resolves true when everything finished by itself.
 */
export function drainServer(server: import('node:http').Server, limitMs: number): Promise<boolean> {
  if (!server.listening) return Promise.resolve(true);
  return new Promise((resolve) => {
    const idle = setInterval(() => server.closeIdleConnections(), 50);
    const force = setTimeout(() => {
      clearInterval(idle);
      server.closeAllConnections();
      resolve(false);
    }, limitMs);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(force);
      resolve(true);
    });
    server.closeIdleConnections();
  });
}
