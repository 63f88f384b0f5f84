import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { nodeRoute } from '../../../platform/config/lab-plan';
import { DependencyHealthService } from '../../../platform/health/dependency-health.service';
import { BookSeatService } from '../application/book-seat.service';
import { BookingAdminService } from '../application/booking-admin.service';
import { BOOKING_LAB, BOOKING_NODE } from '../booking.config';
import { BookingException } from '../booking.errors';
import { EventRepository } from '../persistence/event.repository';
import { BookSeatRequestDto } from './dto/book-seat.request.dto';
import { EventIdParamsDto } from './dto/event-id.params.dto';
import { ListSeatsQueryDto } from './dto/list-seats.query.dto';
import { ApiErrors } from '../../../platform/http/openapi';

/** The seed's public API: health, the event and its seats, and booking. */
@ApiTags('booking')
@Controller(nodeRoute(BOOKING_LAB, BOOKING_NODE))
export class BookingController {
  constructor(
    private readonly bookSeat: BookSeatService,
    private readonly admin: BookingAdminService,
    private readonly events: EventRepository,
    private readonly health: DependencyHealthService,
  ) {}

  @Get('health')
  @ApiOperation({ summary: 'Service health, the current strategy, and whether PostgreSQL and Redis are up' })
  async healthCheck() {
    const lab = this.health.lab(BOOKING_LAB);
    const strategy = await this.admin.currentStrategy().catch(() => 'unknown');
    return {
      status: lab.status === 'up' ? 'ok' : 'degraded',
      service: 'booking-service',
      strategy,
      dependencies: Object.fromEntries(lab.dependencies.map((d) => [d, this.health.status(d).status])),
    };
  }

  @Get('events/:event_id')
  @ApiErrors(404)
  @ApiOperation({ summary: 'An event with its seat counts and every seat' })
  async event(@Param() params: EventIdParamsDto) {
    const event = await this.events.findEvent(params.event_id);
    if (!event) throw BookingException.eventNotFound(params.event_id);
    const [seats, counts] = await Promise.all([
      this.events.listSeats(event.id, false),
      this.events.availability(event.id),
    ]);
    return {
      event: {
        id: event.id,
        name: event.name,
        venue: event.venue,
        event_date: wallClock(event.eventDate),
        total_seats: event.totalSeats,
        created_at: wallClock(event.createdAt),
      },
      seats: {
        ...counts,
        details: seats.map((s) => ({
          seat_number: s.seatNumber,
          section: s.section,
          row_name: s.rowName,
          is_booked: s.isBooked,
          booked_by: s.bookedBy,
        })),
      },
    };
  }

  @Get('events/:event_id/seats')
  @ApiErrors(404)
  @ApiOperation({ summary: 'Seats of an event; ?available_only=true lists only free seats' })
  async seats(@Param() params: EventIdParamsDto, @Query() query: ListSeatsQueryDto) {
    if (!(await this.events.findEvent(params.event_id))) throw BookingException.eventNotFound(params.event_id);
    const availableOnly = query.available_only === true;
    const seats = await this.events.listSeats(params.event_id, availableOnly);
    return {
      seats: seats.map((s) =>
        availableOnly
          ? { seat_number: s.seatNumber, section: s.section, row_name: s.rowName }
          : {
              seat_number: s.seatNumber,
              section: s.section,
              row_name: s.rowName,
              is_booked: s.isBooked,
              booked_by: s.bookedBy,
            },
      ),
    };
  }

  @Post('book')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Book a seat with the current strategy: status confirmed, failed or double_booked (HTTP 200 for each)',
  })
  book(@Body() body: BookSeatRequestDto) {
    return this.bookSeat.book({ eventId: body.event_id, seatNumber: body.seat_number, customerId: body.customer_id });
  }
}

/** `TIMESTAMP` columns carry no zone; print the stored wall-clock time as the seed did ("2024-12-31T20:00:00"). */
function wallClock(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}
