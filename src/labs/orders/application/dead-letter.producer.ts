import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { IHeaders, Producer } from 'kafkajs';
import { KafkaService } from '../../../platform/kafka/kafka.service';
import { withTimeout } from '../../../platform/redis/redis.service';
import { OrdersTopicsService } from './orders-topics.service';
import { ORDERS_TIMINGS } from '../orders.config';

export interface DeadLetter {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
  reason: string;
}

/** The consumer node's own producer for the dead-letter topic (acks=all, idempotent). */
@Injectable()
export class DeadLetterProducer implements OnApplicationShutdown {
  private producer?: Promise<Producer>;

  constructor(
    private readonly kafka: KafkaService,
    private readonly topics: OrdersTopicsService,
  ) {}

  async send(letter: DeadLetter): Promise<void> {
    await withTimeout(
      (async () => {
        const producer = await this.connected();
        await producer.send({
          topic: this.topics.dlq,
          acks: -1,
          messages: [
            {
              key: letter.key,
              value: letter.value,
              headers: {
                ...(letter.headers ?? {}),
                'x-dlq-reason': letter.reason,
                'x-original-topic': letter.topic,
                'x-original-partition': String(letter.partition),
                'x-original-offset': letter.offset,
              },
            },
          ],
        });
      })(),
      ORDERS_TIMINGS.sendTimeoutMs,
      'sending to the dead-letter topic',
    ).catch(async (err: unknown) => {
      await this.close();
      throw err;
    });
  }

  async close(): Promise<void> {
    const current = this.producer;
    this.producer = undefined;
    if (current) await current.then((p) => p.disconnect()).catch(() => undefined);
  }

  private connected(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = this.kafka.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
      });
      await producer.connect();
      return producer;
    })();
    this.producer.catch(() => (this.producer = undefined));
    return this.producer;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
