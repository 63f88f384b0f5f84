import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** `booking.events`: a show with a fixed seat map. */
@Entity({ schema: 'booking', name: 'events' })
export class BookingEventEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'varchar', length: 255 })
  venue!: string;

  @Column({ name: 'event_date', type: 'timestamp' })
  eventDate!: Date;

  @Column({ name: 'total_seats', type: 'integer' })
  totalSeats!: number;

  @Column({ name: 'created_at', type: 'timestamp', default: () => 'now()' })
  createdAt!: Date;
}
