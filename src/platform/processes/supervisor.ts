import { ChildProcess, spawn } from 'node:child_process';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import type { Socket } from 'node:net';
import { AppConfig } from '../config/app-config';
import { LabName } from '../config/lab-plan';
import { NodeEndpoint } from '../config/labs-selection';
import { LinePrefixer } from './line-prefixer';
import { MainPortRoutes } from './main-port-routes';
import { mergeExpositions } from './metrics-merge';
import { forward, getJson, getText, processUnavailable, sendJson } from './proxy';
import { ChildMessage, RestartPolicy } from './process-messages';

export interface ProcessView {
  lab: LabName;
  node: string;
  instance: number;
  state: 'starting' | 'up' | 'down' | 'failed' | 'stopped';
  pid?: number;
  uptime_ms?: number;
  restarts: number;
  last_exit?: { at: string; code: number | null; signal: string | null; crash_point?: string };
  restart_at?: string;
}

interface Managed {
  endpoint: NodeEndpoint;
  instance: number;
  instances: number;
  child?: ChildProcess;
  state: ProcessView['state'];
  startedAt?: number;
  restarts: number;
  /** Exits in a row that came less than `policy.stableAfterMs` after their start. */
  quickFailures: number;
  mainPort?: number;
  nodePort?: number;
  crash?: { point: string; restartAfterMs: number | null };
  lastExit?: ProcessView['last_exit'];
  restartTimer?: NodeJS.Timeout;
  restartAt?: number;
  readyTimer?: NodeJS.Timeout;
}

const POLICY: RestartPolicy = {
  firstBackoffMs: 500,
  maxBackoffMs: 10000,
  stableAfterMs: 10000,
  maxQuickFailures: 8,
  readyTimeoutMs: 60000,
};

/**
 * LAB_PROCESSES=1: every selected node runs as its own OS process (`node dist/main.js` with
 * LABS=<lab>:<node>), restarted after a crash as a container restart policy would (after the
 * lab's restart delay when the process announced its crash point, else with a bounded back-off).
 * The supervisor holds the main port (routing /admin/labs, /health and the lab routes to the
 * processes) and, for a lab with several instances, the node's port, as a round-robin balancer.
 */
export class Supervisor {
  private readonly processes: Managed[] = [];
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly roundRobin = new Map<string, number>();
  private stopping = false;
  private readonly routes: MainPortRoutes;
  /** Children's output streams paused until the supervisor's stdout or stderr drains. */
  private readonly paused = new Map<NodeJS.WritableStream, Set<NodeJS.ReadableStream>>();

  constructor(
    private readonly config: AppConfig,
    /** The script every process runs (dist/main.js). */
    private readonly script: string,
    private readonly log: (line: string) => void = (line) => process.stdout.write(`[supervisor] ${line}\n`),
  ) {
    for (const endpoint of config.endpoints) {
      const instances = config.instancesOf(endpoint.lab);
      for (let instance = 0; instance < instances; instance++) {
        this.processes.push({ endpoint, instance, instances, state: 'starting', restarts: 0, quickFailures: 0 });
      }
    }
    this.routes = new MainPortRoutes({
      labs: config.labs,
      firstUp: (lab) => {
        const first = this.up(lab)[0];
        return first ? { mainPort: first.mainPort!, pid: first.child!.pid! } : undefined;
      },
      anyUp: () => this.processes.find((p) => p.state === 'up')?.mainPort,
      byPid: (pid) => this.processes.find((p) => p.state === 'up' && p.child?.pid === pid)?.mainPort,
      timeoutMs: config.env.REQUEST_TIMEOUT_MS + 1000,
      bodyLimitBytes: config.bodyLimitBytes,
    });
  }

  /** Opens the main port and the balancers, starts every process, resolves when all reported ready. */
  async start(): Promise<{ url: string }> {
    const main = await this.listen(this.config.port, (req, res) => void this.serveMain(req, res));
    for (const endpoint of this.config.endpoints) {
      if (this.config.instancesOf(endpoint.lab) > 1) {
        await this.listen(endpoint.port, (req, res) => this.balance(endpoint, req, res, 'node'));
      }
    }
    await Promise.all(this.processes.map((p) => this.spawn(p)));
    const address = main.address();
    const port = typeof address === 'object' && address ? address.port : this.config.port;
    return { url: `http://127.0.0.1:${port}` };
  }

  views(): ProcessView[] {
    return this.processes.map((p) => this.view(p));
  }

  /** SIGTERM to every process, SIGKILL to any still alive after `limitMs`; closes the supervisor's ports. */
  async stop(limitMs: number): Promise<void> {
    this.stopping = true;
    for (const p of this.processes) {
      clearTimeout(p.restartTimer);
      clearTimeout(p.readyTimer);
    }
    const alive = this.processes.filter((p) => p.child && p.child.exitCode === null && p.child.signalCode === null);
    await Promise.all(
      alive.map(
        (p) =>
          new Promise<void>((resolve) => {
            const child = p.child!;
            const force = setTimeout(() => child.kill('SIGKILL'), limitMs);
            child.once('exit', () => {
              clearTimeout(force);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private listen(port: number, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
    const server = createServer(handler);
    server.keepAliveTimeout = 5000;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.config.env.HOST, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  }

  private spawn(p: Managed): Promise<void> {
    if (this.stopping) return Promise.resolve();
    const { lab, node, port } = p.endpoint;
    const env = this.config.childEnv({
      LABS: `${lab}:${node}`,
      LAB_PROCESSES: '0',
      LAB_SUPERVISED: '1',
      LAB_INSTANCES: undefined,
      LAB_INSTANCE: String(p.instance),
      PORT: '0',
      // One instance listens on the node's port itself; several listen on free ports behind the balancer.
      LAB_NODE_PORT: String(p.instances > 1 ? 0 : port),
      NODE_URLS: this.config.nodeUrlList,
    });
    const child = spawn(process.execPath, [this.script], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.prefixOutput(child, `[${name(p)}] `);
    p.child = child;
    p.state = 'starting';
    p.startedAt = Date.now();
    p.mainPort = undefined;
    p.nodePort = undefined;
    p.crash = undefined;
    return new Promise<void>((resolve) => {
      p.readyTimer = setTimeout(() => {
        this.log(`${name(p)} pid ${child.pid} not ready after ${POLICY.readyTimeoutMs} ms; killing it`);
        child.kill('SIGKILL');
      }, POLICY.readyTimeoutMs);
      child.on('message', (message: ChildMessage) => {
        if (message.type === 'ready') {
          clearTimeout(p.readyTimer);
          p.mainPort = message.mainPort;
          p.nodePort = message.nodePort;
          p.state = 'up';
          this.log(`${name(p)} up: pid ${child.pid}, port ${message.nodePort}`);
          resolve();
        } else if (message.type === 'crash') {
          p.crash = { point: message.point, restartAfterMs: message.restartAfterMs };
        }
      });
      child.on('error', (err) => this.log(`${name(p)} could not start: ${err.message}`));
      child.once('exit', (code, signal) => {
        clearTimeout(p.readyTimer);
        resolve();
        this.exited(p, child, code, signal);
      });
    });
  }

  /**
   * Each line the process writes goes to the supervisor's own stdout or stderr, prefixed with
   * `[lab:node]`; a process is paused while the supervisor's output does not keep up.
   */
  private prefixOutput(child: ChildProcess, prefix: string): void {
    for (const [from, to] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ] as const) {
      if (!from) continue;
      const lines = new LinePrefixer(prefix, (text) => {
        if (to.write(text)) return;
        from.pause();
        let waiting = this.paused.get(to);
        if (!waiting) {
          const set = new Set<NodeJS.ReadableStream>();
          this.paused.set(to, set);
          waiting = set;
          to.once('drain', () => {
            this.paused.delete(to);
            for (const stream of set) stream.resume();
          });
        }
        waiting.add(from);
      });
      from.setEncoding('utf8');
      from.on('data', (chunk: string) => lines.push(chunk));
      from.on('end', () => lines.end());
      from.on('error', () => lines.end());
    }
  }

  private exited(p: Managed, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (p.child !== child) return;
    p.child = undefined;
    p.lastExit = { at: new Date().toISOString(), code, signal, crash_point: p.crash?.point };
    if (this.stopping) {
      p.state = 'stopped';
      return;
    }
    p.state = 'down';
    const lived = Date.now() - (p.startedAt ?? Date.now());
    let delay: number | null;
    if (p.crash) {
      // A crash point announced itself: the lab's restart delay, as its restart policy says.
      delay = p.crash.restartAfterMs;
      p.quickFailures = 0;
    } else {
      p.quickFailures = lived < POLICY.stableAfterMs ? p.quickFailures + 1 : 0;
      if (p.quickFailures > POLICY.maxQuickFailures) {
        p.state = 'failed';
        this.log(
          `${name(p)} exited ${p.quickFailures} times in a row within ${POLICY.stableAfterMs} ms of starting; giving up`,
        );
        return;
      }
      delay = Math.min(POLICY.maxBackoffMs, POLICY.firstBackoffMs * 2 ** Math.max(0, p.quickFailures - 1));
    }
    this.log(
      `${name(p)} pid ${child.pid} exited (${signal ?? `code ${code}`}${p.crash ? `, crash point ${p.crash.point}` : ''})` +
        (delay === null ? '; waiting for a restart request' : `; restarting in ${delay} ms`),
    );
    if (delay !== null) this.scheduleRestart(p, delay);
  }

  private scheduleRestart(p: Managed, delay: number): void {
    p.restartAt = Date.now() + delay;
    p.restartTimer = setTimeout(() => {
      p.restartAt = undefined;
      p.restarts += 1;
      void this.spawn(p);
    }, delay);
  }

  private view(p: Managed): ProcessView {
    return {
      lab: p.endpoint.lab,
      node: p.endpoint.node,
      instance: p.instance,
      state: p.state,
      pid: p.child?.pid,
      uptime_ms: p.child && p.startedAt ? Date.now() - p.startedAt : undefined,
      restarts: p.restarts,
      last_exit: p.lastExit,
      restart_at: p.restartAt ? new Date(p.restartAt).toISOString() : undefined,
    };
  }

  private up(lab: string, node?: string): Managed[] {
    return this.processes.filter(
      (p) => p.state === 'up' && p.endpoint.lab === lab && (node === undefined || p.endpoint.node === node),
    );
  }

  /** The next running instance of a node, round-robin. */
  private pick(endpoint: NodeEndpoint): Managed | undefined {
    const candidates = this.up(endpoint.lab, endpoint.node);
    if (candidates.length === 0) return undefined;
    const k = `${endpoint.lab}:${endpoint.node}`;
    const next = (this.roundRobin.get(k) ?? -1) + 1;
    this.roundRobin.set(k, next % 1_000_000);
    return candidates[next % candidates.length];
  }

  /** A node's port with several instances: each request to the next running one. */
  private balance(endpoint: NodeEndpoint, req: IncomingMessage, res: ServerResponse, via: 'node' | 'main'): void {
    const target = this.pick(endpoint);
    const what = `${endpoint.lab}:${endpoint.node}`;
    if (!target) return processUnavailable(res, what, { lab: endpoint.lab, node: endpoint.node });
    forward(
      req,
      res,
      via === 'node' ? target.nodePort! : target.mainPort!,
      what,
      this.config.env.REQUEST_TIMEOUT_MS + 1000,
    );
  }

  private async serveMain(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const mark = url.indexOf('?');
    const path = mark < 0 ? url : url.slice(0, mark);
    const query = mark < 0 ? '' : url.slice(mark + 1);
    const timeout = this.config.env.REQUEST_TIMEOUT_MS + 1000;
    try {
      if (path === '/health/live') return sendJson(res, 200, { status: 'ok', processes: this.processes.length });
      if (req.method === 'GET' && (path === '/admin/labs' || path === '/admin/labs/')) {
        return sendJson(res, 200, {
          labs: await Promise.all([...this.config.labs.keys()].map((lab) => this.describe(lab))),
        });
      }
      if (req.method === 'GET' && path === '/admin/processes')
        return sendJson(res, 200, { mode: 'processes', pid: process.pid, processes: this.views() });
      if (req.method === 'GET' && path === '/health') return sendJson(res, 200, await this.health());
      if (req.method === 'GET' && path === '/docs-json') return sendJson(res, 200, await this.openApi());
      if (req.method === 'GET' && path === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        return void res.end(await this.metrics());
      }
      const admin = /^\/admin\/labs\/([^/]+)(\/.*)?$/.exec(path);
      if (admin) return await this.serveLabAdmin(admin[1], admin[2] ?? '', req, res);
      const endpoint = this.config.endpoints.find((e) => path === `/${e.route}` || path.startsWith(`/${e.route}/`));
      if (endpoint) return this.balance(endpoint, req, res, 'main');
      // The console's live endpoints, experiments and the docs' start script: to the lab's process, or merged.
      if (await this.routes.serve(req, res, path, query)) return;
      // Everything else of the main port (the console's and the docs' static files) is the same in every process.
      const any = this.processes.find((p) => p.state === 'up');
      if (!any) return processUnavailable(res, 'the main port');
      forward(req, res, any.mainPort!, 'the main port', timeout);
    } catch (err) {
      sendJson(res, 500, { statusCode: 500, code: 'SUPERVISOR.ERROR', message: (err as Error).message, details: {} });
    }
  }

  private async serveLabAdmin(lab: string, rest: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const selected = this.config.labs.get(lab as LabName);
    if (!selected) {
      return sendJson(res, 404, {
        statusCode: 404,
        code: 'ADMIN.UNKNOWN_LAB',
        message: `Lab "${lab}" is not running here`,
        details: { running: [...this.config.labs.keys()] },
      });
    }
    if (req.method === 'GET' && (rest === '' || rest === '/'))
      return sendJson(res, 200, await this.describe(lab as LabName));
    const nodeAction = /^\/nodes\/([^/]+)\/(crash|restart)$/.exec(rest);
    if (nodeAction && req.method === 'POST' && selected.includes(nodeAction[1])) {
      const [, node, action] = nodeAction;
      const mine = this.processes.filter((p) => p.endpoint.lab === lab && p.endpoint.node === node);
      if (action === 'restart') {
        // The supervisor starts a node that is down now (as `docker compose restart` would).
        for (const p of mine.filter((m) => m.state === 'down' || m.state === 'failed')) {
          clearTimeout(p.restartTimer);
          p.restartAt = undefined;
          p.restarts += 1;
          p.quickFailures = 0;
          await this.spawn(p);
        }
        return sendJson(res, 200, await this.describe(lab as LabName));
      }
      // The admin crash is a real kill of the node's (first running) process; restarted after 3 s, as in one-process mode.
      const target = mine.find((p) => p.state === 'up');
      if (target?.child) {
        const child = target.child;
        target.crash = { point: 'admin', restartAfterMs: 3000 };
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        });
      }
      return sendJson(res, 200, await this.describe(lab as LabName));
    }
    // Strategy selection and the rest are persisted by the lab: any running process of it serves them.
    const target = this.up(lab)[0];
    if (!target) return processUnavailable(res, `lab ${lab}`);
    forward(req, res, target.mainPort!, `lab ${lab}`, this.config.env.REQUEST_TIMEOUT_MS + 1000);
  }

  /** A lab as /admin/labs shows it, built from its processes' own views plus each one's pid, uptime and restarts. */
  private async describe(lab: LabName): Promise<Record<string, unknown>> {
    const nodes = this.config.labs.get(lab) ?? [];
    let base: Record<string, unknown> | undefined;
    const nodeViews = await Promise.all(
      nodes.map(async (node) => {
        const mine = this.processes.filter((p) => p.endpoint.lab === lab && p.endpoint.node === node);
        const first = mine.find((p) => p.state === 'up');
        const answer = first ? await getJson(first.mainPort!, `/admin/labs/${lab}`, 3000) : undefined;
        const described = answer?.status === 200 ? (answer.body as Record<string, unknown>) : undefined;
        if (described && !base) base = described;
        const own =
          ((described?.nodes as Record<string, unknown>[] | undefined) ?? []).find((n) => n.node === node) ?? {};
        const endpoint = mine[0].endpoint;
        const views = mine.map((p) => this.view(p));
        return {
          ...own,
          node,
          port: endpoint.port,
          prefix: `/${endpoint.route}`,
          up: views.some((v) => v.state === 'up'),
          crashes: views.reduce((sum, v) => sum + v.restarts + (v.state === 'down' ? 1 : 0), 0),
          pid: views[0].pid,
          uptime_ms: views[0].uptime_ms,
          restarts: views.reduce((sum, v) => sum + v.restarts, 0),
          processes: views,
        };
      }),
    );
    return { ...(base ?? { lab, health: { status: 'down' }, strategy_ports: [] }), lab, nodes: nodeViews };
  }

  /** Every running process's /metrics, each sample labelled lab_instance, plus the supervisor's own gauges. */
  private async metrics(): Promise<string> {
    const parts = await Promise.all(
      this.processes
        .filter((p) => p.state === 'up')
        .map(async (p) => ({ label: instanceLabel(p), text: (await getText(p.mainPort!, '/metrics', 3000)) ?? '' })),
    );
    const own = [
      '# HELP lab_process_up 1 while the process of this node instance runs (process mode)',
      '# TYPE lab_process_up gauge',
      ...this.processes.map((p) => `lab_process_up{lab_instance="${instanceLabel(p)}"} ${p.state === 'up' ? 1 : 0}`),
      '# HELP lab_process_restarts Times the supervisor started this node instance again',
      '# TYPE lab_process_restarts gauge',
      ...this.processes.map((p) => `lab_process_restarts{lab_instance="${instanceLabel(p)}"} ${p.restarts}`),
    ].join('\n');
    return mergeExpositions(parts) + own + '\n';
  }

  /** One OpenAPI document: each lab's process documents its own lab; paths, schemas and tags are merged. */
  private async openApi(): Promise<Record<string, unknown>> {
    type Doc = {
      paths?: Record<string, unknown>;
      tags?: { name: string }[];
      components?: { schemas?: Record<string, unknown> };
    } & Record<string, unknown>;
    const docs: Doc[] = [];
    for (const lab of this.config.labs.keys()) {
      const first = this.up(lab)[0];
      const answer = first ? await getJson(first.mainPort!, '/docs-json', 5000) : undefined;
      if (answer?.status === 200) docs.push(answer.body as Doc);
    }
    if (docs.length === 0)
      return { openapi: '3.0.0', info: { title: 'distributed-systems-labs', version: '0' }, paths: {} };
    const merged: Doc = { ...docs[0], paths: {}, tags: [], components: { ...docs[0].components, schemas: {} } };
    for (const doc of docs) {
      Object.assign(merged.paths!, doc.paths ?? {});
      Object.assign(merged.components!.schemas!, doc.components?.schemas ?? {});
      for (const tag of doc.tags ?? []) if (!merged.tags!.some((t) => t.name === tag.name)) merged.tags!.push(tag);
    }
    return merged;
  }

  private async health(): Promise<Record<string, unknown>> {
    const labs: Record<string, unknown> = {};
    // Each lab's process answers the shared dependencies and its lab's own (the replication lab's standbys): merged.
    const dependencies: Record<string, { status?: string }> = {};
    let degraded = false;
    for (const lab of this.config.labs.keys()) {
      const first = this.up(lab)[0];
      const answer = first ? await getJson(first.mainPort!, '/health', 3000) : undefined;
      const body = answer?.body as
        { dependencies?: Record<string, { status?: string }>; labs?: Record<string, { status?: string }> } | undefined;
      const view = body?.labs?.[lab] ?? { status: 'down', reason: 'no running process' };
      Object.assign(dependencies, body?.dependencies ?? {});
      labs[lab] = view;
      if (view.status === 'down' || this.processes.some((p) => p.endpoint.lab === lab && p.state !== 'up'))
        degraded = true;
    }
    if (Object.values(dependencies).some((d) => d?.status === 'degraded')) degraded = true;
    return { status: degraded ? 'degraded' : 'ok', dependencies, labs, processes: this.views() };
  }
}

function instanceLabel(p: Managed): string {
  return `${p.endpoint.lab}:${p.endpoint.node}#${p.instance}`;
}

function name(p: Managed): string {
  return `${p.endpoint.lab}:${p.endpoint.node}${p.instances > 1 ? `#${p.instance}` : ''}`;
}
