import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

/**
 * `booking.seats`. `version` is the optimistic strategy's compare value, `fence_token` the
 * newest fencing token that claimed the seat (fenced strategy).
 */
@Entity({ schema: 'booking', name: 'seats' })
@Unique('seats_event_seat_unique', ['eventId', 'seatNumber'])
export class SeatEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'event_id', type: 'integer' })
  eventId!: number;

  @Column({ name: 'seat_number', type: 'varchar', length: 10 })
  seatNumber!: string;

  @Column({ type: 'varchar', length: 50 })
  section!: string;

  @Column({ name: 'row_name', type: 'varchar', length: 10 })
  rowName!: string;

  @Column({ name: 'is_booked', type: 'boolean', default: false })
  isBooked!: boolean;

  @Column({ name: 'booked_by', type: 'varchar', length: 255, nullable: true })
  bookedBy!: string | null;

  @Column({ name: 'booked_at', type: 'timestamp', nullable: true })
  bookedAt!: Date | null;

  @Column({ type: 'integer', default: 0 })
  version!: number;

  @Column({ name: 'fence_token', type: 'bigint', default: 0 })
  fenceToken!: string;
}
