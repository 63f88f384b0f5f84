import { ErrorKind, LabException } from '../../platform/http/lab-exception';

export const BookingErrorCode = {
  EventNotFound: 'BOOKING.EVENT_NOT_FOUND',
  SeatNotFound: 'BOOKING.SEAT_NOT_FOUND',
  LockServiceUnavailable: 'BOOKING.LOCK_SERVICE_UNAVAILABLE',
  UnknownStrategy: 'BOOKING.UNKNOWN_STRATEGY',
} as const;
export type BookingErrorCode = (typeof BookingErrorCode)[keyof typeof BookingErrorCode];

/** Every failure of the booking lab that is not a business outcome (those are response statuses). */
export class BookingException extends LabException {
  constructor(code: BookingErrorCode, message: string, kind: ErrorKind, details?: unknown) {
    super(code, message, kind, details);
    this.name = 'BookingException';
  }

  static eventNotFound(eventId: number): BookingException {
    return new BookingException(BookingErrorCode.EventNotFound, `Event not found: ${eventId}`, 'not_found', {
      event_id: eventId,
    });
  }

  static seatNotFound(eventId: number, seatNumber: string): BookingException {
    return new BookingException(
      BookingErrorCode.SeatNotFound,
      `Seat not found: ${seatNumber} does not exist in event ${eventId}`,
      'not_found',
      { event_id: eventId, seat_number: seatNumber },
    );
  }
}
