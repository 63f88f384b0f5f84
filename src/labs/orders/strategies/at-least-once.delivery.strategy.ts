import { Injectable } from '@nestjs/common';
import type { ProducerConfig } from 'kafkajs';
import { LabStrategy } from '../../../platform/strategy';
import { ORDERS_LAB } from '../orders.config';
import {
  DELIVERY_PORT,
  DeliveryMode,
  DeliveryPort,
  ProducerSession,
  PublishOutcome,
  PublishRequest,
} from './delivery.port';

/**
 * acks=all with retries, not idempotent: the order is on every in-sync replica before we answer.
 * The window: when an ack is lost (timeout, leader failover) the retry writes the message a
 * second time, so the log itself can hold duplicates; only an idempotent consumer hides them.
 */
@Injectable()
@LabStrategy({
  lab: ORDERS_LAB,
  port: DELIVERY_PORT,
  key: DeliveryMode.AtLeastOnce,
  description: 'acks=all, retries=3, not idempotent: never lost once acknowledged, a retried send can duplicate',
})
export class AtLeastOnceDeliveryStrategy extends DeliveryPort {
  readonly mode = DeliveryMode.AtLeastOnce;

  usesTransactions(): boolean {
    return false;
  }

  producerConfig(): ProducerConfig {
    return {
      idempotent: false,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
      allowAutoTopicCreation: false,
    };
  }

  async publish(session: ProducerSession, request: PublishRequest): Promise<PublishOutcome> {
    await session.producer.send({ topic: request.topic, messages: request.messages, acks: -1 });
    return { status: 'acknowledged' };
  }
}
