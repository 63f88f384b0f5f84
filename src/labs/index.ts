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

/** The OpenAPI tag of each lab, with what the lab teaches (shown at /docs). */
export const LAB_API_TAGS: Record<LabName, string> = {
  booking:
    'Seat booking: double booking under concurrent clicks; row lock, version check, Redlock and fencing tokens as fixes',
  bank: 'Transfers: double spend through check-then-act; locked safe mode and the isolation levels; the bank invariant live',
  orders: 'Orders over Kafka into PostgreSQL: at-most-once, at-least-once and exactly-once under consumer crashes',
  counter:
    'A G-Counter CRDT across three regions with anti-entropy and partitions, beside a strongly consistent counter',
  replication:
    'A primary and two lagging replicas: stale reads and read-your-writes, monotonic reads, bounded staleness',
};
