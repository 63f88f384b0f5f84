import { context, propagation, Span, SpanStatusCode, trace, Attributes } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NoopSpanProcessor,
  ParentBasedSampler,
  SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

let sdk: NodeSDK | undefined;

/**
 * Starts the OpenTelemetry SDK before Nest and the drivers load (tracer provider, AsyncLocalStorage
 * context, W3C propagator, the pg / ioredis / kafkajs instrumentations, which patch the drivers as
 * they are required). Incoming requests get their span from httpTracingMiddleware; node-to-node
 * calls and Kafka messages carry `traceHeaders()`; spans are exported over OTLP only when an
 * endpoint is configured (tracing stays on either way, so trace ids and propagation work).
 * `spanProcessor` replaces the exporter (tests collect spans in memory with it).
 */
export function startTracing(options: {
  serviceName: string;
  otlpEndpoint?: string;
  spanProcessor?: SpanProcessor;
}): void {
  if (sdk) return;
  const spanProcessors: SpanProcessor[] = [];
  if (options.spanProcessor) {
    spanProcessors.push(options.spanProcessor);
  } else if (options.otlpEndpoint) {
    const url = `${options.otlpEndpoint.replace(/\/$/, '')}/v1/traces`;
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  } else {
    // NodeSDK registers no tracer provider without a processor, and spans would then have no trace id.
    spanProcessors.push(new NoopSpanProcessor());
  }
  // With nowhere to export, recording spans is wasted work: they are sampled out, yet still get
  // trace ids, and the W3C context still flows across HTTP and Kafka.
  const sampler =
    options.otlpEndpoint || options.spanProcessor
      ? new ParentBasedSampler({ root: new AlwaysOnSampler() })
      : new ParentBasedSampler({ root: new AlwaysOffSampler() });
  sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    sampler,
    spanProcessors,
    // Where these labs spend their time: every SQL statement (SELECT ... FOR UPDATE included), every
    // Redis command (lock SET NX, the fencing-token INCR, Lua releases) and every Kafka send and
    // consume, as child spans of the request or message that caused them. Health probes and other
    // background calls outside a request start no trace of their own.
    instrumentations: [
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
      new IORedisInstrumentation({ requireParentSpan: true }),
      new KafkaJsInstrumentation(),
    ],
  });
  sdk.start();
}

export async function stopTracing(): Promise<void> {
  await sdk?.shutdown().catch(() => undefined);
  sdk = undefined;
}

const tracer = () => trace.getTracer('distributed-systems-labs');

/** Runs `fn` inside a new active span; records an exception and error status if it throws. */
export async function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** W3C `traceparent`/`tracestate` headers for the current context (HTTP calls, Kafka headers). */
export function traceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** Runs `fn` in the context carried by `headers` (e.g. a Kafka message's), so its spans join that trace. */
export function withRemoteContext<T>(headers: Record<string, string | undefined>, fn: () => T): T {
  const parent = propagation.extract(context.active(), headers);
  return context.with(parent, fn);
}

export function currentTraceId(): string | undefined {
  const id = trace.getActiveSpan()?.spanContext().traceId;
  return id && !/^0+$/.test(id) ? id : undefined;
}

/**
 * Starts a span (not made active) whose parent is the context carried by `headers`, e.g. one per
 * record of a Kafka batch processed together; the caller ends it. Its trace id is the remote one.
 */
export function startRemoteSpan(
  name: string,
  attributes: Attributes,
  headers: Record<string, string | undefined>,
): Span {
  const parent = propagation.extract(context.active(), headers);
  return tracer().startSpan(name, { attributes }, parent);
}

/** The trace id of `span`, or undefined when it has none (all zeros). */
export function traceIdOf(span: Span): string | undefined {
  const id = span.spanContext().traceId;
  return id && !/^0+$/.test(id) ? id : undefined;
}
