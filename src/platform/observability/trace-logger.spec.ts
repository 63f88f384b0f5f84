import { context, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TraceContextLogger } from './trace-logger';

describe('TraceContextLogger', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => context.setGlobalContextManager(manager.enable()));
  afterAll(() => {
    manager.disable();
    context.disable();
  });

  function captured(fn: (logger: TraceContextLogger) => void): string {
    const logger = new TraceContextLogger(['log']);
    const writes: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      fn(logger);
    } finally {
      spy.mockRestore();
    }
    return writes.join('');
  }

  it('writes the active trace id after the context', () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const span = trace.wrapSpanContext({ traceId, spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED });
    const line = captured((logger) =>
      context.with(trace.setSpan(context.active(), span), () => logger.log('booked', 'Booking')),
    );
    expect(line).toMatch(new RegExp(`\\[Booking\\].*trace_id=${traceId} .*booked`));
  });

  it('writes no trace id outside a trace', () => {
    expect(captured((logger) => logger.log('started', 'Labs'))).not.toContain('trace_id=');
  });
});
