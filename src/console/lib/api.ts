/** Calls to the app's own endpoints (same origin): labs under their prefixes, the platform under /admin. */
export interface ApiAnswer<T = any> {
  status: number;
  ok: boolean;
  body: T;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 30_000;

/** Answers with any HTTP status (a 409 is a lab outcome to show); throws only when the app did not answer. */
export async function call<T = any>(method: string, path: string, body?: unknown, timeoutMs = TIMEOUT_MS): Promise<ApiAnswer<T>> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new ApiError(`${method} ${path}: the app did not answer (${err instanceof Error ? err.message : String(err)})`);
  }
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, ok: response.ok, body: parsed as T };
}

/** Like `call`, but a non-2xx answer is an error carrying the lab's message. */
export async function send<T = any>(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<T> {
  const answer = await call<T>(method, path, body, timeoutMs);
  if (!answer.ok) {
    const message = (answer.body as { message?: unknown } | null)?.message;
    throw new ApiError(`${method} ${path} → ${answer.status}${typeof message === 'string' ? `: ${message}` : ''}`, answer.status, answer.body);
  }
  return answer.body;
}

export const get = <T = any>(path: string) => send<T>('GET', path);
export const post = <T = any>(path: string, body?: unknown, timeoutMs?: number) => send<T>('POST', path, body ?? {}, timeoutMs);

/** Ask the server to read the lab now, so the change shows without waiting for the next tick. */
export function nudge(lab: string): void {
  void call('POST', `/admin/console/labs/${lab}/refresh`).catch(() => undefined);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
