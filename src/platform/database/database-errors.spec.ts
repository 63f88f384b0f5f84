import { LabException } from '../http/lab-exception';
import { DatabaseErrorCode, DatabaseException, retryReasonOf, translateDatabaseError } from './database-errors';

const pgError = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('translateDatabaseError', () => {
  it.each([
    ['40001', DatabaseErrorCode.SerializationFailure, 409],
    ['40P01', DatabaseErrorCode.Deadlock, 409],
    ['55P03', DatabaseErrorCode.LockTimeout, 503],
    ['57014', DatabaseErrorCode.Timeout, 504],
    ['25P03', DatabaseErrorCode.Timeout, 504],
    ['53300', DatabaseErrorCode.Busy, 503],
    ['57P01', DatabaseErrorCode.Unavailable, 503],
    ['08006', DatabaseErrorCode.Unavailable, 503],
    ['22003', DatabaseErrorCode.ValueOutOfRange, 422],
    ['22P05', DatabaseErrorCode.InvalidValue, 400],
    ['23505', DatabaseErrorCode.ConstraintViolation, 409],
  ])('maps SQLSTATE %s to %s (%i), keeping the SQLSTATE', (state, code, status) => {
    const err = translateDatabaseError(pgError(state));
    expect(err).toBeInstanceOf(DatabaseException);
    expect(err).toMatchObject({ code, status, sqlState: state, details: { sql_state: state } });
  });

  it.each([
    ['timeout exceeded when trying to connect', DatabaseErrorCode.Busy, 503],
    ['Query read timeout', DatabaseErrorCode.Timeout, 504],
    ['Connection terminated unexpectedly', DatabaseErrorCode.Unavailable, 503],
    ['Connection terminated due to connection timeout', DatabaseErrorCode.Unavailable, 503],
  ])('maps the driver error "%s" to %s (%i)', (message, code, status) => {
    expect(translateDatabaseError(new Error(message))).toMatchObject({ code, status });
  });

  it('maps refused and reset sockets to 503', () => {
    expect(translateDatabaseError(pgError('ECONNREFUSED'))).toMatchObject({
      code: DatabaseErrorCode.Unavailable,
      status: 503,
    });
  });

  it('leaves lab exceptions and SQL bugs as they are', () => {
    const own = new LabException('BANK.X', 'x', 'conflict');
    expect(translateDatabaseError(own)).toBe(own);
    const syntax = pgError('42601', 'syntax error at or near "SELEC"');
    expect(translateDatabaseError(syntax)).toBe(syntax);
  });

  it('names the transaction retries', () => {
    expect(retryReasonOf(translateDatabaseError(pgError('40001')))).toBe('serialization_failure');
    expect(retryReasonOf(translateDatabaseError(pgError('40P01')))).toBe('deadlock');
    expect(retryReasonOf(translateDatabaseError(pgError('55P03')))).toBeUndefined();
    expect(retryReasonOf(pgError('40001'))).toBeUndefined();
  });
});
