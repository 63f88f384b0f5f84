import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type BookingAttemptStatus = 'confirmed' | 'failed' | 'double_booked';

/** `booking.bookings`: one row per attempt, with no uniqueness on the seat (see the migration). */
@Entity({ schema: 'booking', name: 'bookings' })
export class BookingAttemptEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'event_id', type: 'integer' })
  eventId!: number;

  @Column({ name: 'seat_id', type: 'integer' })
  seatId!: number;

  @Column({ name: 'customer_id', type: 'varchar', length: 255 })
  customerId!: string;

  @Column({ type: 'varchar', length: 20 })
  status!: BookingAttemptStatus;

  @Column({ type: 'varchar', length: 32, nullable: true })
  reason!: string | null;

  @Column({ name: 'locking_strategy', type: 'varchar', length: 20 })
  lockingStrategy!: string;

  @Column({ name: 'duration_ms', type: 'double precision' })
  durationMs!: number;

  @Column({ name: 'created_at', type: 'timestamp', default: () => 'now()' })
  createdAt!: Date;
}
