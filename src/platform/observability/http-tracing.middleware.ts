import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Logger } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

const UNTRACED = /^\/(metrics|docs|docs-json)(\/|\?|$)|\/health(\/(live|ready)(\/[a-z]+)?)?(\?|$)/;

/**
 * One SERVER span per request, child of the caller's W3C `traceparent` when it sends one, with
 * the rest of the request handled inside that span's context (so lab spans and outgoing calls
 * join the trace). Hand-written rather than @opentelemetry/instrumentation-http: that package
 * patches node:http wholesale and cost a third of a request's time in `npm run bench`, while the
 * labs need only this (node-to-node calls inject their headers themselves).
 */
export function httpTracingMiddleware(): RequestHandler {
  const tracer = trace.getTracer('distributed-systems-labs');
  const logger = new Logger('HTTP');
  return (req: Request, res: Response, next: NextFunction) => {
    if (UNTRACED.test(req.url)) return next();
    const started = Date.now();
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(
      `${req.method}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.path } },
      parent,
    );
    res.once('finish', () => {
      const routePath = (req.route as { path?: string } | undefined)?.path;
      if (routePath) {
        span.updateName(`${req.method} ${req.baseUrl ?? ''}${routePath}`);
        span.setAttribute('http.route', `${req.baseUrl ?? ''}${routePath}`);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      // LOG_LEVEL=debug: one access line per request, with its trace id (TraceContextLogger).
      context.with(trace.setSpan(parent, span), () =>
        logger.debug(`${req.method} ${req.originalUrl.slice(0, 200)} ${res.statusCode} ${Date.now() - started} ms`),
      );
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}
