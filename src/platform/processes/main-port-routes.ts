import { ClientRequest, IncomingMessage, ServerResponse, request } from 'node:http';
import { MAX_CONSOLE_STREAMS } from '../console/console-events.controller';
import { LabName, isLabName } from '../config/lab-plan';
import { forward, getJson, processUnavailable, sendJson } from './proxy';

/** What the main-port routes need to know of the supervisor's processes. */
export interface ProcessDirectory {
  /** The labs selected, with their nodes. */
  labs: ReadonlyMap<LabName, readonly string[]>;
  /** The main port of the lab's first running process (the one its lab-wide reads go to). */
  firstUp(lab: LabName): { mainPort: number; pid: number } | undefined;
  /** The main port of any running process. */
  anyUp(): number | undefined;
  /** The main port of the process with this pid while it runs. */
  byPid(pid: number): number | undefined;
  /** Bound on an upstream's answer headers. */
  timeoutMs: number;
  bodyLimitBytes: number;
}

const HEARTBEAT_MS = 15_000;
/** An upstream console stream sends a heartbeat every 15 s; silence this long means it is gone. */
const UPSTREAM_IDLE_MS = 40_000;
const RECONNECT_MS = 1000;
const MAX_REMEMBERED_EXPERIMENTS = 1000;

/**
 * The main port's platform routes that belong to a lab, in process mode: each lab's process
 * documents, watches and experiments with its own lab only, so the supervisor sends a request to
 * the process of the lab it names (in the path, the query or the body) or merges what each lab's
 * process answers. Admin writes under /admin/labs are not routed here.
 */
export class MainPortRoutes {
  private readonly streams = new Set<ServerResponse>();
  /** Experiment id → the lab and pid of the process that started it (its live view is there). */
  private readonly experiments = new Map<string, { lab: LabName; pid: number }>();

  constructor(private readonly dir: ProcessDirectory) {}

  /** Answers the request if it is one of these routes; false: not one of them. */
  async serve(req: IncomingMessage, res: ServerResponse, path: string, query: string): Promise<boolean> {
    const method = req.method ?? 'GET';
    if (/^\/docs(\/docs)?\/swagger-ui-init\.js$/.test(path) && method === 'GET') {
      this.swaggerInit(res);
      return true;
    }
    if (path === '/admin/console/events' && method === 'GET') {
      this.consoleEvents(req, res, query);
      return true;
    }
    const consoleLab = /^\/admin\/console\/labs\/([^/]+)\/(state|refresh)$/.exec(path);
    if (consoleLab) {
      this.toLab(req, res, consoleLab[1], 'CONSOLE.UNKNOWN_LAB');
      return true;
    }
    if (path === '/admin/experiments/catalog' && method === 'GET') {
      sendJson(res, 200, await this.catalog());
      return true;
    }
    if (path === '/admin/experiments' || path === '/admin/experiments/') {
      if (method === 'POST') await this.startExperiment(req, res);
      else if (method === 'GET') await this.listExperiments(req, res, query);
      else return false;
      return true;
    }
    const experiment = /^\/admin\/experiments\/([^/]+)(\/.*)?$/.exec(path);
    if (experiment) {
      await this.toExperiment(req, res, decodeURIComponent(experiment[1]));
      return true;
    }
    return false;
  }

  /** The lab's first running process, else a 404 (lab not run here) or 503 (no running process). */
  private target(res: ServerResponse, lab: string, unknownCode: string): number | undefined {
    if (!isLabName(lab) || !this.dir.labs.has(lab)) {
      sendJson(res, 404, {
        statusCode: 404,
        code: unknownCode,
        message: `Not running here: ${lab.slice(0, 50)}`,
        details: { running: [...this.dir.labs.keys()] },
      });
      return undefined;
    }
    const up = this.dir.firstUp(lab);
    if (!up) processUnavailable(res, `lab ${lab}`, { lab });
    return up?.mainPort;
  }

  private toLab(req: IncomingMessage, res: ServerResponse, lab: string, unknownCode: string): void {
    const port = this.target(res, lab, unknownCode);
    if (port !== undefined) forward(req, res, port, `lab ${lab}`, this.dir.timeoutMs);
  }

  private toAny(req: IncomingMessage, res: ServerResponse, body?: Buffer): void {
    const port = this.dir.anyUp();
    if (port === undefined) return processUnavailable(res, 'the main port');
    forward(req, res, port, 'the main port', this.dir.timeoutMs, body);
  }

  /**
   * Swagger UI's start script, pointed at the merged /docs-json. (Each process's own script embeds
   * that process's document, which shows its lab only.)
   */
  private swaggerInit(res: ServerResponse): void {
    const script = [
      'window.onload = function () {',
      '  window.ui = SwaggerUIBundle({',
      "    url: '/docs-json',",
      "    dom_id: '#swagger-ui',",
      '    deepLinking: true,',
      '    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],',
      '    plugins: [SwaggerUIBundle.plugins.DownloadUrl],',
      "    layout: 'StandaloneLayout',",
      '  });',
      '};',
      '',
    ].join('\n');
    res.writeHead(200, {
      'content-type': 'application/javascript; charset=utf-8',
      'content-length': Buffer.byteLength(script),
      'cache-control': 'no-cache',
    });
    res.end(script);
  }

  /**
   * One console stream over every lab asked for: a stream from each lab's process, their `state`
   * events passed on whole. While a lab has no running process its last state is sent with every
   * node down, and the supervisor reconnects to the lab every second.
   */
  private consoleEvents(req: IncomingMessage, res: ServerResponse, query: string): void {
    const list = new URLSearchParams(query).get('labs');
    if (list && (list.length > 100 || !/^[a-z]+(,[a-z]+)*$/.test(list))) return this.toAny(req, res);
    const labs = list ? [...new Set(list.split(','))] : [...this.dir.labs.keys()];
    const unknown = labs.filter((l) => !isLabName(l) || !this.dir.labs.has(l));
    if (unknown.length > 0) {
      return sendJson(res, 404, {
        statusCode: 404,
        code: 'CONSOLE.UNKNOWN_LAB',
        message: `Not running here: ${unknown.join(', ')}`,
        details: { running: [...this.dir.labs.keys()] },
      });
    }
    if (this.streams.size >= MAX_CONSOLE_STREAMS) {
      return sendJson(res, 503, {
        statusCode: 503,
        code: 'CONSOLE.TOO_MANY_STREAMS',
        message: `At most ${MAX_CONSOLE_STREAMS} console streams at once`,
        details: { max: MAX_CONSOLE_STREAMS },
      });
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.streams.add(res);
    let closed = false;
    const lanes = (labs as LabName[]).map(
      (lab) => new ConsoleLane(lab, this.dir, (block) => !closed && res.write(block)),
    );
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      for (const lane of lanes) lane.close();
      this.streams.delete(res);
    };
    req.on('close', close);
    res.on('close', close);
    for (const lane of lanes) lane.connect();
  }

  /** Each lab's own catalog entry, from that lab's process. */
  private async catalog(): Promise<{ labs: unknown[] }> {
    const entries = await Promise.all(
      [...this.dir.labs.keys()].map(async (lab) => {
        const up = this.dir.firstUp(lab);
        const answer = up ? await getJson(up.mainPort, '/admin/experiments/catalog', 5000) : undefined;
        const labs = answer?.status === 200 ? ((answer.body as { labs?: { lab?: string }[] }).labs ?? []) : [];
        return labs.filter((entry) => entry.lab === lab);
      }),
    );
    return { labs: entries.flat() };
  }

  /** The body names the lab: the experiment runs in that lab's process, which the supervisor remembers for the id. */
  private async startExperiment(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, this.dir.bodyLimitBytes);
    if (!body) {
      return sendJson(res, 413, {
        statusCode: 413,
        code: 'REQUEST.BODY_TOO_LARGE',
        message: `Request body exceeds the limit of ${this.dir.bodyLimitBytes} bytes`,
        details: { limit: this.dir.bodyLimitBytes },
      });
    }
    let lab: unknown;
    try {
      lab = (JSON.parse(body.toString('utf8')) as { lab?: unknown } | null)?.lab;
    } catch {
      lab = undefined;
    }
    const up = typeof lab === 'string' && isLabName(lab) && this.dir.labs.has(lab) ? this.dir.firstUp(lab) : undefined;
    // An unknown lab or a bad body: any process answers the 400 it would give.
    if (!up) return this.toAny(req, res, body);
    const answer = await exchange(req, up.mainPort, body, this.dir.timeoutMs);
    if (!answer) return processUnavailable(res, `lab ${lab as string}`, { lab });
    if (answer.status === 202) {
      const id = (parseJson(answer.body) as { id?: unknown } | undefined)?.id;
      if (typeof id === 'string') this.remember(id, lab as LabName, up.pid);
    }
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }

  /**
   * The list is read from PostgreSQL, which every process shares; a running experiment's live
   * progress is in the process that runs it, so those documents come from there.
   */
  private async listExperiments(req: IncomingMessage, res: ServerResponse, query: string): Promise<void> {
    const any = this.dir.anyUp();
    if (any === undefined) return processUnavailable(res, 'the main port');
    const answer = await getJson(any, `/admin/experiments${query ? `?${query}` : ''}`, this.dir.timeoutMs);
    if (!answer) return processUnavailable(res, 'the main port');
    const list = (answer.body as { experiments?: { id: string; lab: string; status?: string }[] } | null)?.experiments;
    if (answer.status !== 200 || !Array.isArray(list)) return sendJson(res, answer.status, answer.body);
    const experiments = await Promise.all(
      list.map(async (doc) => {
        if (doc.status !== 'running' || !isLabName(doc.lab) || !this.dir.labs.has(doc.lab)) return doc;
        const port = this.experimentPort(doc.id, doc.lab);
        if (port === undefined || port === any) return doc;
        const live = await getJson(port, `/admin/experiments/${encodeURIComponent(doc.id)}`, 5000);
        return live?.status === 200 ? live.body : doc;
      }),
    );
    sendJson(res, 200, { ...(answer.body as object), experiments });
  }

  /** /admin/experiments/:id[/...]: to the process that runs (or ran) it; found by asking any process for the document's lab. */
  private async toExperiment(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    let lab = this.experiments.get(id)?.lab;
    if (!lab && /^[0-9a-f-]{36}$/i.test(id)) {
      const any = this.dir.anyUp();
      const answer = any === undefined ? undefined : await getJson(any, `/admin/experiments/${id}`, 5000);
      const named = (answer?.body as { lab?: unknown } | null | undefined)?.lab;
      if (answer?.status === 200 && typeof named === 'string' && isLabName(named) && this.dir.labs.has(named))
        lab = named;
    }
    const port = lab ? this.experimentPort(id, lab) : undefined;
    // Not found, not a UUID, or a lab not run now: any process answers from the database.
    if (port === undefined) return this.toAny(req, res);
    forward(req, res, port, `lab ${lab}`, this.dir.timeoutMs);
  }

  /** The process that started the experiment while it still runs, else the lab's first running process. */
  private experimentPort(id: string, lab: LabName): number | undefined {
    const up = this.dir.firstUp(lab);
    const started = this.experiments.get(id);
    if (started && started.pid !== up?.pid) {
      const same = this.dir.byPid(started.pid);
      if (same !== undefined) return same;
    }
    return up?.mainPort;
  }

  private remember(id: string, lab: LabName, pid: number): void {
    this.experiments.set(id, { lab, pid });
    if (this.experiments.size > MAX_REMEMBERED_EXPERIMENTS)
      this.experiments.delete(this.experiments.keys().next().value!);
  }
}

/** One lab's part of a console stream. */
class ConsoleLane {
  private upstream?: ClientRequest;
  private retry?: NodeJS.Timeout;
  private closed = false;
  private last?: { nodes?: { node: string }[] } & Record<string, unknown>;
  private downSent = false;

  constructor(
    private readonly lab: LabName,
    private readonly dir: ProcessDirectory,
    private readonly write: (block: string) => void,
  ) {}

  connect(): void {
    if (this.closed) return;
    const up = this.dir.firstUp(this.lab);
    if (!up) return this.lost();
    let buffer = '';
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearTimeout(headers);
      upstream.destroy();
      this.lost();
    };
    const upstream = request(
      {
        host: '127.0.0.1',
        port: up.mainPort,
        method: 'GET',
        path: `/admin/console/events?labs=${this.lab}`,
        headers: { accept: 'text/event-stream' },
      },
      (answer) => {
        clearTimeout(headers);
        if (answer.statusCode !== 200) {
          answer.resume();
          return end();
        }
        answer.setEncoding('utf8');
        answer.on('data', (chunk: string) => {
          buffer += chunk;
          if (buffer.length > 4 * 1024 * 1024) return end();
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            this.pass(block);
          }
        });
        answer.on('end', end);
        answer.on('error', end);
      },
    );
    const headers = setTimeout(end, this.dir.timeoutMs);
    upstream.setTimeout(UPSTREAM_IDLE_MS, end);
    upstream.on('error', end);
    upstream.on('close', end);
    upstream.end();
    this.upstream = upstream;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.upstream?.destroy();
  }

  private pass(block: string): void {
    const lines = block.split('\n');
    if (!lines.includes('event: state')) return;
    const data = lines
      .filter((l) => l.startsWith('data: '))
      .map((l) => l.slice(6))
      .join('\n');
    const snapshot = parseJson(Buffer.from(data)) as ConsoleLane['last'];
    if (!snapshot || snapshot.lab !== this.lab) return;
    this.last = snapshot;
    this.downSent = false;
    this.write(`event: state\ndata: ${data}\n\n`);
  }

  /** The lab's process is gone: its nodes show down until a process of it answers again. */
  private lost(): void {
    this.upstream = undefined;
    if (this.closed) return;
    if (!this.downSent) {
      this.downSent = true;
      const nodes = this.last?.nodes?.map((n) => n.node) ?? [...(this.dir.labs.get(this.lab) ?? [])];
      const snapshot = {
        strategies: [],
        reads: {},
        ...this.last,
        lab: this.lab,
        at: new Date().toISOString(),
        nodes: nodes.map((node) => ({
          node,
          up: false,
          crashed: true,
          crashes: 0,
          error: 'no running process (crashed or restarting)',
        })),
      };
      this.write(`event: state\ndata: ${JSON.stringify(snapshot)}\n\n`);
    }
    this.retry = setTimeout(() => this.connect(), RECONNECT_MS);
  }
}

/** The request's body, or undefined when it is larger than `limit` (then nothing more is read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.pause();
        resolve(undefined);
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
}

/** Sends the request with this body to 127.0.0.1:port and reads the whole (small) answer. */
function exchange(
  req: IncomingMessage,
  port: number,
  body: Buffer,
  timeoutMs: number,
): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer } | undefined> {
  return new Promise((resolve) => {
    const headers = { ...req.headers, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    const upstream = request(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers, timeout: timeoutMs },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () =>
          resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }),
        );
        answer.on('error', () => resolve(undefined));
      },
    );
    upstream.on('timeout', () => upstream.destroy());
    upstream.on('error', () => resolve(undefined));
    upstream.end(body);
  });
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
