/** What went wrong, independent of transport; the exception filter maps it to an HTTP status. */
export type ErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'precondition'
  | 'too_large'
  | 'unavailable'
  | 'timeout'
  | 'too_many';

export const STATUS_OF_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition: 422,
  too_large: 413,
  unavailable: 503,
  timeout: 504,
  too_many: 429,
};

/**
 * The base error of every lab. `code` is a namespaced string (`BOOKING.SEAT_NOT_FOUND`).
 * Strategies, repositories and use cases throw this, never HTTP exceptions, because the same
 * code runs from Kafka consumers and background loops.
 */
export class LabException extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly kind: ErrorKind = 'invalid',
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'LabException';
  }

  get status(): number {
    return STATUS_OF_KIND[this.kind];
  }
}
