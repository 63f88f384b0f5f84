import { ErrorKind, LabException } from '../http/lab-exception';

/** Codes of the one translation of PostgreSQL and pool failures, shared by every lab. */
export const DatabaseErrorCode = {
  Busy: 'DATABASE.BUSY',
  Unavailable: 'DATABASE.UNAVAILABLE',
  Timeout: 'DATABASE.TIMEOUT',
  LockTimeout: 'DATABASE.LOCK_TIMEOUT',
  SerializationFailure: 'DATABASE.SERIALIZATION_FAILURE',
  Deadlock: 'DATABASE.DEADLOCK',
  ValueOutOfRange: 'DATABASE.VALUE_OUT_OF_RANGE',
  InvalidValue: 'DATABASE.INVALID_VALUE',
  ConstraintViolation: 'DATABASE.CONSTRAINT_VIOLATION',
} as const;
export type DatabaseErrorCode = (typeof DatabaseErrorCode)[keyof typeof DatabaseErrorCode];

/** A database failure the caller can act on; `sqlState` is PostgreSQL's SQLSTATE when the server sent one. */
export class DatabaseException extends LabException {
  constructor(
    code: DatabaseErrorCode,
    message: string,
    kind: ErrorKind,
    readonly sqlState?: string,
  ) {
    super(code, message, kind, sqlState ? { sql_state: sqlState } : undefined);
    this.name = 'DatabaseException';
  }
}

/** What a client is asked to do about an aborted transaction: run it again from BEGIN. */
export type TransactionRetryReason = 'serialization_failure' | 'deadlock';

export function retryReasonOf(err: unknown): TransactionRetryReason | undefined {
  if (!(err instanceof DatabaseException)) return undefined;
  if (err.code === DatabaseErrorCode.SerializationFailure) return 'serialization_failure';
  if (err.code === DatabaseErrorCode.Deadlock) return 'deadlock';
  return undefined;
}

const BY_SQLSTATE: Record<string, [DatabaseErrorCode, ErrorKind, string]> = {
  '40001': [
    DatabaseErrorCode.SerializationFailure,
    'conflict',
    'The transaction could not be serialized with a concurrent one; retry it',
  ],
  '40P01': [DatabaseErrorCode.Deadlock, 'conflict', 'The transaction was chosen as a deadlock victim; retry it'],
  '55P03': [
    DatabaseErrorCode.LockTimeout,
    'unavailable',
    'A lock stayed held by another transaction beyond lock_timeout; retry later',
  ],
  '57014': [DatabaseErrorCode.Timeout, 'timeout', 'The statement ran beyond statement_timeout and was cancelled'],
  '25P03': [
    DatabaseErrorCode.Timeout,
    'timeout',
    'The transaction stayed idle beyond idle_in_transaction_session_timeout',
  ],
  '53300': [DatabaseErrorCode.Busy, 'unavailable', 'PostgreSQL has no connection slot free; retry shortly'],
  '22003': [DatabaseErrorCode.ValueOutOfRange, 'precondition', 'A value would leave the range of its column'],
  '22001': [DatabaseErrorCode.InvalidValue, 'invalid', 'A value is too long for its column'],
  '22021': [DatabaseErrorCode.InvalidValue, 'invalid', 'A text value is not valid UTF-8'],
  '22P05': [
    DatabaseErrorCode.InvalidValue,
    'invalid',
    'A text value holds a character PostgreSQL cannot store (e.g. NUL)',
  ],
  '22P02': [DatabaseErrorCode.InvalidValue, 'invalid', 'A value has the wrong form for its column type'],
  '23505': [DatabaseErrorCode.ConstraintViolation, 'conflict', 'A row with the same key exists already'],
  '23503': [DatabaseErrorCode.ConstraintViolation, 'conflict', 'A referenced row does not exist'],
  '23514': [DatabaseErrorCode.ConstraintViolation, 'precondition', 'A value breaks a check constraint'],
};

/** SQLSTATE classes that mean the server or the connection went away, not that the request was wrong. */
const UNAVAILABLE_CLASSES = ['08', '53', '57P'];

/** Node socket errors of a connection that could not be made or was cut. */
const SOCKET_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);

/**
 * The one translation of database failures: what a caller can act on becomes a DatabaseException
 * (pool exhausted → 503, timeouts → 504, serialization failure / deadlock → 409 to retry, bad values
 * → 4xx); anything else (a bug in the SQL) is returned as it is and ends as a 500.
 */
export function translateDatabaseError(err: unknown): unknown {
  if (err instanceof LabException) return err;
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : '';
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    const known = BY_SQLSTATE[code];
    if (known)
      return new DatabaseException(
        known[0],
        known[1] === 'invalid' || known[1] === 'precondition' ? `${known[2]}: ${message}` : known[2],
        known[1],
        code,
      );
    if (UNAVAILABLE_CLASSES.some((c) => code.startsWith(c))) {
      return new DatabaseException(
        DatabaseErrorCode.Unavailable,
        `PostgreSQL is unavailable: ${message}`,
        'unavailable',
        code,
      );
    }
    return err;
  }
  if (/timeout exceeded when trying to connect/i.test(message)) {
    return new DatabaseException(
      DatabaseErrorCode.Busy,
      'No pooled database connection became free in time; retry shortly',
      'unavailable',
    );
  }
  if (/query read timeout/i.test(message)) {
    return new DatabaseException(DatabaseErrorCode.Timeout, 'PostgreSQL did not answer the query in time', 'timeout');
  }
  if (
    (code && SOCKET_ERRORS.has(code)) ||
    /connection terminated|connection timeout|not queryable|Connection ended|server closed the connection/i.test(
      message,
    )
  ) {
    return new DatabaseException(DatabaseErrorCode.Unavailable, `PostgreSQL is unreachable: ${message}`, 'unavailable');
  }
  return err;
}

export function databaseUnavailable(reason: string): DatabaseException {
  return new DatabaseException(DatabaseErrorCode.Unavailable, `PostgreSQL is unavailable: ${reason}`, 'unavailable');
}
