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
 * acks=0, no retries: the request is written to the socket and forgotten. The window: anything
 * that goes wrong after the bytes leave (leader change, broker crash, full disk) loses the order
 * silently, and the producer still answers "accepted". Fastest, and the only mode that can lose.
 */
@Injectable()
@LabStrategy({
  lab: ORDERS_LAB,
  port: DELIVERY_PORT,
  key: DeliveryMode.AtMostOnce,
  description: 'acks=0, no retries: fire and forget; a broker failure loses the order unnoticed',
})
export class AtMostOnceDeliveryStrategy extends DeliveryPort {
  readonly mode = DeliveryMode.AtMostOnce;

  usesTransactions(): boolean {
    return false;
  }

  producerConfig(): ProducerConfig {
    return { idempotent: false, retry: { retries: 0 }, allowAutoTopicCreation: false };
  }

  async publish(session: ProducerSession, request: PublishRequest): Promise<PublishOutcome> {
    await session.producer.send({ topic: request.topic, messages: request.messages, acks: 0 });
    return { status: 'unacknowledged' };
  }
}
