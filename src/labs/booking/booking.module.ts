import { DynamicModule, Module } from '@nestjs/common';
import { LabWiring, wireLab } from '../../platform/config/lab-wiring';
import { labDatabaseProvider } from '../../platform/database/database-pools.service';
import { BookingAdminController } from './api/booking-admin.controller';
import { BookingController } from './api/booking.controller';
import { BookSeatService } from './application/book-seat.service';
import { BookingAdminService } from './application/booking-admin.service';
import { BookingReset } from './application/booking.reset';
import { BookingExperiment } from './application/booking.experiment';
import { BookingSettingsService } from './application/booking-settings.service';
import { CompareStrategiesService } from './application/compare-strategies.service';
import { BOOKING_LAB } from './booking.config';
import { BookingMetrics, bookingMetricProviders } from './booking.metrics';
import { BookingRepository } from './persistence/booking.repository';
import { EventRepository } from './persistence/event.repository';
import { DistributedSeatLockingStrategy } from './strategies/distributed.seat-locking.strategy';
import { FencedSeatLockingStrategy } from './strategies/fenced.seat-locking.strategy';
import { LocalSeatLockingStrategy } from './strategies/local.seat-locking.strategy';
import { NoneSeatLockingStrategy } from './strategies/none.seat-locking.strategy';
import { OptimisticSeatLockingStrategy } from './strategies/optimistic.seat-locking.strategy';
import { PessimisticSeatLockingStrategy } from './strategies/pessimistic.seat-locking.strategy';

/** Shared providers always (strategies included, so /admin/labs lists them); each node adds its controllers and stateful services. */
const BOOKING_WIRING: LabWiring<typeof BOOKING_LAB> = {
  lab: BOOKING_LAB,
  shared: [
    ...bookingMetricProviders,
    labDatabaseProvider(BOOKING_LAB),
    BookingMetrics,
    EventRepository,
    BookingRepository,
    NoneSeatLockingStrategy,
    PessimisticSeatLockingStrategy,
    OptimisticSeatLockingStrategy,
    DistributedSeatLockingStrategy,
    FencedSeatLockingStrategy,
    LocalSeatLockingStrategy,
    BookingSettingsService,
    BookSeatService,
    BookingAdminService,
    BookingReset,
    CompareStrategiesService,
    BookingExperiment,
  ],
  nodes: {
    booking: { controllers: [BookingController, BookingAdminController], providers: [] },
  },
};

/** The seat-booking lab: one node, `booking`, on the seed's port 8000. */
@Module({})
export class BookingModule {
  static register(nodes: string[]): DynamicModule {
    return wireLab(BookingModule, BOOKING_WIRING, nodes);
  }
}
