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
const TOKEN_KEY = 'labs-console-admin-token';

/** The app's ADMIN_TOKEN, when it runs with one (kept for this browser tab only). */
export function adminToken(): string | undefined {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function setAdminToken(token: string | undefined): void {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage refused: the token lasts until the next page load
  }
}

/** Answers with any HTTP status (a 409 is a lab outcome to show); throws only when the app did not answer. */
export async function call<T = any>(
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = TIMEOUT_MS,
): Promise<ApiAnswer<T>> {
  let response: Response;
  const headers: Record<string, string> =
    body === undefined
      ? { accept: 'application/json' }
      : { 'content-type': 'application/json', accept: 'application/json' };
  const token = method === 'GET' ? undefined : adminToken();
  if (token) headers['x-admin-token'] = token;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new ApiError(
      `${method} ${path}: the app did not answer (${err instanceof Error ? err.message : String(err)})`,
    );
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
    const code = (answer.body as { code?: unknown } | null)?.code;
    if (answer.status === 401 && typeof code === 'string' && code.startsWith('ADMIN.TOKEN')) {
      throw new ApiError(
        `${method} ${path} → 401: this app runs with ADMIN_TOKEN; enter it with the “admin token” button at the top right`,
        401,
        answer.body,
      );
    }
    const message = (answer.body as { message?: unknown } | null)?.message;
    throw new ApiError(
      `${method} ${path} → ${answer.status}${typeof message === 'string' ? `: ${message}` : ''}`,
      answer.status,
      answer.body,
    );
  }
  return answer.body;
}

export const get = <T = any>(path: string) => send<T>('GET', path);
export const post = <T = any>(path: string, body?: unknown, timeoutMs?: number) =>
  send<T>('POST', path, body ?? {}, timeoutMs);

type RefusalListener = (why: string | undefined) => void;
const refusalListeners = new Set<RefusalListener>();
let refusal: string | undefined;

function setRefusal(why: string | undefined): void {
  if (why === refusal) return;
  refusal = why;
  for (const listener of refusalListeners) listener(why);
}

/** Why the app refused the console's last "read now" (401/403); undefined once one is accepted. */
export function readRefusal(): string | undefined {
  return refusal;
}

export function onReadRefusal(listener: RefusalListener): () => void {
  refusalListeners.add(listener);
  return () => {
    refusalListeners.delete(listener);
  };
}

/** Forget a refusal (the token changed: the next read tells again). */
export function clearReadRefusal(): void {
  setRefusal(undefined);
}

/**
 * Ask the server to read the lab now, so the change shows without waiting for the next tick. It is
 * an admin write, so it carries the admin token (as `call` sends on every write); a refusal is
 * shown (readRefusal) rather than dropped, since the view then lags until the next tick.
 */
export function nudge(lab: string): void {
  void call<{ code?: unknown; message?: unknown } | null>('POST', `/admin/console/labs/${lab}/refresh`)
    .then((answer) => {
      if (answer.status === 401 || answer.status === 403) {
        const code = typeof answer.body?.code === 'string' ? ` ${answer.body.code}` : '';
        const why =
          answer.status === 401
            ? 'this app runs with ADMIN_TOKEN; enter it with the “admin token” button at the top right'
            : typeof answer.body?.message === 'string'
              ? answer.body.message
              : 'refused';
        setRefusal(
          `The app refused to read ${lab} now (${answer.status}${code}): ${why}. The figures below catch up at the next read, within a second or two.`,
        );
      } else if (answer.ok) {
        setRefusal(undefined);
      }
    })
    .catch(() => undefined);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
