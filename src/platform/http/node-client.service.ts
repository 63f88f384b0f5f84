import { Injectable } from '@nestjs/common';
import { SpanKind, trace, context, SpanStatusCode } from '@opentelemetry/api';
import { AppConfig } from '../config/app-config';
import { LabName } from '../config/lab-plan';
import { traceHeaders } from '../observability/tracing';
import { LabException } from './lab-exception';
import { NODE_SECRET_HEADER } from './node-secret.guard';

export interface NodeRef {
  lab: LabName;
  node: string;
}

export interface NodeCallOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  timeoutMs?: number;
  query?: Record<string, string | number | boolean | undefined>;
}

export interface NodeResponse<T> {
  status: number;
  ok: boolean;
  body: T;
}

/**
 * How nodes talk: plain HTTP to the peer's own port (never a shared in-process object), with a
 * timeout and W3C trace context in the headers. This is the network; it knows no partitions: a
 * partition is the partitioned node's own state (`NetworkFaultsService`), enforced by that node
 * on its links, so a call between two nodes in one process meets the same cut as between two
 * processes. With NODE_SECRET set, every call carries it, so the peer's node-to-node endpoints
 * (`@NodeToNode()`) accept it.
 */
@Injectable()
export class NodeClientService {
  constructor(private readonly config: AppConfig) {}

  async call<T = unknown>(
    from: NodeRef,
    to: NodeRef,
    path: string,
    options: NodeCallOptions = {},
  ): Promise<NodeResponse<T>> {
    const method = options.method ?? 'GET';
    const url = new URL(path, this.config.nodeUrl(to.lab, to.node));
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const tracer = trace.getTracer('distributed-systems-labs');
    const span = tracer.startSpan(`HTTP ${method} ${to.node}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': method,
        'url.full': url.toString(),
        'peer.node': nodeId(to),
        'node.from': nodeId(from),
      },
    });
    return context.with(trace.setSpan(context.active(), span), async () => {
      const timeoutMs = options.timeoutMs ?? 2000;
      try {
        const res = await fetch(url, {
          method,
          // Peers bound beyond loopback guard their admin routes (a gateway's partition, a primary's reset of its replicas).
          headers: {
            'content-type': 'application/json',
            ...adminHeader(this.config.env.ADMIN_TOKEN),
            ...traceHeaders(),
            ...(this.config.env.NODE_SECRET ? { [NODE_SECRET_HEADER]: this.config.env.NODE_SECRET } : {}),
          },
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await res.text();
        span.setAttribute('http.response.status_code', res.status);
        return { status: res.status, ok: res.ok, body: (text ? safeJson(text) : undefined) as T };
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        const timedOut = (err as Error).name === 'TimeoutError';
        throw new LabException(
          timedOut ? 'NODE.TIMEOUT' : 'NODE.UNREACHABLE',
          timedOut
            ? `${nodeId(to)} did not answer within ${timeoutMs} ms`
            : `${nodeId(to)} is unreachable: ${(err as Error).message}`,
          timedOut ? 'timeout' : 'unavailable',
          { to: nodeId(to), url: url.toString() },
        );
      } finally {
        span.end();
      }
    });
  }
}

function adminHeader(token: string | undefined): Record<string, string> {
  return token ? { 'x-admin-token': token } : {};
}

export function nodeId(ref: NodeRef): string {
  return `${ref.lab}:${ref.node}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
