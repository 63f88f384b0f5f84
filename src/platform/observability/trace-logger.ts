import { ConsoleLogger, LogLevel } from '@nestjs/common';
import { currentTraceId } from './tracing';

/**
 * Nest's console logger with the active trace id on every line written inside a traced request
 * or message (`[Context] trace_id=… message`), so a log line leads to its trace in Jaeger.
 */
export class TraceContextLogger extends ConsoleLogger {
  constructor(logLevels: LogLevel[]) {
    super({ logLevels });
  }

  protected override formatContext(context: string): string {
    const base = super.formatContext(context);
    const traceId = currentTraceId();
    return traceId ? `${base}trace_id=${traceId} ` : base;
  }
}
