import { LabException } from '../http/lab-exception';

export const RedisErrorCode = {
  Timeout: 'REDIS.TIMEOUT',
  Unavailable: 'REDIS.UNAVAILABLE',
} as const;

const UNAVAILABLE =
  /Connection is closed|Stream isn't writeable|Reached the max retries per request|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND/;

/**
 * ioredis failures that mean Redis did not answer (commandTimeout) or cannot be reached (connection
 * closed, retries exhausted) become 504 / 503 LabExceptions; anything else is returned as it is.
 */
export function translateRedisError(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof LabException) return err;
  if (err.message === 'Command timed out') {
    return new LabException(
      RedisErrorCode.Timeout,
      'Redis did not answer in time (REDIS_COMMAND_TIMEOUT_MS)',
      'timeout',
    );
  }
  if (err.name === 'MaxRetriesPerRequestError' || UNAVAILABLE.test(err.message)) {
    return new LabException(RedisErrorCode.Unavailable, `Redis is unavailable: ${err.message}`, 'unavailable');
  }
  return err;
}
