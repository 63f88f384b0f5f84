import { DynamicModule } from '@nestjs/common';
import { LabName } from '../platform/config/lab-plan';
import { BankModule } from './bank/bank.module';
import { BookingModule } from './booking/booking.module';
import { CounterModule } from './counter/counter.module';
import { OrdersModule } from './orders/orders.module';
import { ReplicationModule } from './replication/replication.module';

/** Each lab module is registered with the nodes of it that this process runs. */
export const LAB_MODULES: Record<LabName, (nodes: string[]) => DynamicModule> = {
  booking: (nodes) => BookingModule.register(nodes),
  bank: (nodes) => BankModule.register(nodes),
  orders: (nodes) => OrdersModule.register(nodes),
  counter: (nodes) => CounterModule.register(nodes),
  replication: (nodes) => ReplicationModule.register(nodes),
};
