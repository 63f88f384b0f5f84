import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import { DatabaseError } from 'pg';
import { translateDatabaseError } from '../database/database-errors';
import { translateRedisError } from '../redis/redis-errors';
import { LabException } from './lab-exception';

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details?: unknown;
  /** FastAPI-style field kept so clients of the original labs still find the reason. */
  detail: string;
  correlationId?: string;
}

interface BodyParserError {
  type?: string;
  status?: number;
  statusCode?: number;
  expose?: boolean;
  message?: string;
  limit?: number;
}

/** One filter for the whole app: every error leaves as JSON `{ statusCode, code, message, details }`. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const res = host.switchToHttp().getResponse<Response>();
    // Already answered (e.g. 504 by the request timeout): the late handler's reply has nowhere to go.
    if (res.writableEnded) return;
    const body = this.toBody(exception);
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(body.statusCode).json(body);
  }

  toBody(error: unknown): ErrorBody {
    // A dependency failure that no lab translated is still the dependency's, not a bug: 503/504.
    const exception = error instanceof DatabaseError ? translateDatabaseError(error) : translateRedisError(error);
    if (exception instanceof LabException) {
      return this.body(exception.status, exception.code, exception.message, exception.details);
    }
    const parser = exception as BodyParserError;
    if (parser && typeof parser === 'object' && typeof parser.type === 'string' && parser.expose) {
      if (parser.type === 'entity.parse.failed') {
        return this.body(400, 'REQUEST.MALFORMED_JSON', `Malformed JSON body: ${parser.message ?? ''}`.trim());
      }
      if (parser.type === 'entity.too.large') {
        return this.body(413, 'REQUEST.BODY_TOO_LARGE', `Request body exceeds the limit of ${parser.limit} bytes`);
      }
      const status = parser.status ?? parser.statusCode ?? 400;
      return this.body(status, 'REQUEST.UNREADABLE_BODY', parser.message ?? 'Unreadable request body');
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const message =
        typeof response === 'string'
          ? response
          : String((response as { message?: unknown }).message ?? exception.message);
      const code = status === 404 ? 'REQUEST.ROUTE_NOT_FOUND' : `HTTP.${status}`;
      return this.body(status, code, message);
    }
    const correlationId = randomUUID();
    this.logger.error(
      `unhandled error ${correlationId}: ${exception instanceof Error ? exception.stack : String(exception)}`,
    );
    return { ...this.body(500, 'INTERNAL.UNEXPECTED', 'Unexpected error'), correlationId };
  }

  private body(statusCode: number, code: string, message: string, details?: unknown): ErrorBody {
    return details === undefined
      ? { statusCode, code, message, detail: message }
      : { statusCode, code, message, details, detail: message };
  }
}
