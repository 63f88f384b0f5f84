import { IncomingMessage, ServerResponse, request } from 'node:http';

/** A JSON error in the app's shape, answered by the supervisor itself. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function processUnavailable(res: ServerResponse, what: string, details: Record<string, unknown> = {}): void {
  sendJson(res, 503, {
    statusCode: 503,
    code: 'PROCESS.UNAVAILABLE',
    message: `${what} has no running process right now (crashed or restarting); retry shortly`,
    details,
  });
}

/**
 * Forwards one request to 127.0.0.1:port as it came (method, path, headers, body) and streams the
 * answer back (`body`: one already read from `req`). The upstream must answer its headers within `headersTimeoutMs` (504 otherwise); a
 * refused or broken connection is a 503 naming `what`.
 */
export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  port: number,
  what: string,
  headersTimeoutMs: number,
  body?: Buffer,
): void {
  const headers = { ...req.headers };
  if (body) {
    // The body was read already (to route by it): send it as read.
    headers['content-length'] = String(body.length);
    delete headers['transfer-encoding'];
  }
  const upstream = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers }, (answer) => {
    clearTimeout(timer);
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
    answer.on('error', () => res.destroy());
  });
  const timer = setTimeout(() => {
    upstream.destroy();
    sendJson(res, 504, {
      statusCode: 504,
      code: 'PROCESS.TIMEOUT',
      message: `${what} did not answer within ${headersTimeoutMs} ms`,
      details: { port },
    });
  }, headersTimeoutMs);
  upstream.on('error', () => {
    clearTimeout(timer);
    if (!res.headersSent) processUnavailable(res, what, { port });
    else res.destroy();
  });
  res.on('close', () => {
    clearTimeout(timer);
    if (!res.writableFinished) upstream.destroy();
  });
  if (body) upstream.end(body);
  else req.pipe(upstream);
}

/** GET 127.0.0.1:port/path: its status and body (at most 8 MB), bounded by `timeoutMs`; undefined when it fails. */
function getBody(port: number, path: string, timeoutMs: number): Promise<{ status: number; text: string } | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'GET', path, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 8 * 1024 * 1024) req.destroy();
        else chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** GET 127.0.0.1:port/path as JSON, bounded by `timeoutMs`; undefined when it fails. */
export async function getJson(
  port: number,
  path: string,
  timeoutMs: number,
): Promise<{ status: number; body: unknown } | undefined> {
  const reply = await getBody(port, path, timeoutMs);
  if (reply === undefined) return undefined;
  try {
    return { status: reply.status, body: JSON.parse(reply.text) };
  } catch {
    return undefined;
  }
}

/** GET 127.0.0.1:port/path as text (at most 8 MB), bounded by `timeoutMs`; undefined when it fails. */
export async function getText(port: number, path: string, timeoutMs: number): Promise<string | undefined> {
  const reply = await getBody(port, path, timeoutMs);
  return reply?.status === 200 ? reply.text : undefined;
}
