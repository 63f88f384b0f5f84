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

/** GET 127.0.0.1:port/path as JSON, bounded by `timeoutMs`; undefined when it fails. */
export function getJson(
  port: number,
  path: string,
  timeoutMs: number,
): Promise<{ status: number; body: unknown } | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'GET', path, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 8 * 1024 * 1024) req.destroy();
        else chunks.push(c);
      });
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** GET 127.0.0.1:port/path as text (at most 8 MB), bounded by `timeoutMs`; undefined when it fails. */
export function getText(port: number, path: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'GET', path, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 8 * 1024 * 1024) req.destroy();
        else chunks.push(c);
      });
      res.on('end', () => resolve(res.statusCode === 200 ? Buffer.concat(chunks).toString('utf8') : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}
