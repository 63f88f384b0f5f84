import type { ExperimentRunContext, OpOutcome } from './experiment.contract';

export interface ExperimentHttpResponse {
  status: number;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: unknown;
}

/**
 * An experiment op's HTTP call to a node's own port, as a user would make it: the run's headers
 * (x-experiment-id, W3C trace context of the op's span) and the op's signal (timeout, abort).
 * Throws on a network error or abort: the runner records that as `info`.
 */
export async function experimentHttp(
  ctx: ExperimentRunContext,
  node: string,
  path: string,
  options: {
    method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
    body?: unknown;
    query?: Record<string, string | number | boolean>;
  } = {},
): Promise<ExperimentHttpResponse> {
  const url = new URL(path, ctx.nodeUrl(node));
  for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, String(value));
  const response = await fetch(url, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: { ...ctx.headers(), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: ctx.signal,
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body };
}

/**
 * The usual reading of an HTTP answer: a 4xx certainly changed nothing (`fail`); a 5xx or anything
 * else leaves the effect unknown (`info`). Labs turn their 2xx answers into ok / fail themselves.
 */
export function outcomeOfError(response: ExperimentHttpResponse, value: unknown): OpOutcome {
  const body = response.body as { code?: string; message?: string } | null;
  const error = `HTTP ${response.status}${body?.code ? ` ${body.code}` : ''}${body?.message ? `: ${body.message}` : ''}`;
  return response.status >= 400 && response.status < 500
    ? { type: 'fail', value, error }
    : { type: 'info', value, error };
}

/** A node's answer with its body read as a JSON object (`{}` when it was not one). */
export type ExperimentReply = { status: number; body: Record<string, any> };

/** An operation's call: the op's own signal (timeout, abort); a network error throws, and the runner records it as info. */
export async function experimentRequest(
  ctx: ExperimentRunContext,
  method: 'GET' | 'POST',
  node: string,
  path: string,
  body?: unknown,
): Promise<ExperimentReply> {
  const res = await experimentHttp(ctx, node, path, { method, body });
  return {
    status: res.status,
    body: (res.body && typeof res.body === 'object' ? res.body : {}) as Record<string, any>,
  };
}

/** How long a setup, fault or teardown call may take. */
export const EXPERIMENT_ADMIN_TIMEOUT_MS = 5000;

/**
 * Setup, fault and teardown calls get a timeout of their own (not the op's signal): a run cut short
 * must still heal and restore. A network error is answered as status 0, never thrown.
 */
export async function experimentAdmin(
  ctx: Omit<ExperimentRunContext, 'setup'>,
  method: 'GET' | 'POST',
  node: string,
  path: string,
  body?: unknown,
): Promise<ExperimentReply> {
  try {
    return await experimentRequest(
      { ...ctx, setup: {}, signal: AbortSignal.timeout(EXPERIMENT_ADMIN_TIMEOUT_MS) },
      method,
      node,
      path,
      body,
    );
  } catch (err) {
    return { status: 0, body: { message: (err as Error).message } };
  }
}
