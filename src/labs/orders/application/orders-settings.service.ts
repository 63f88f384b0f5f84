import { Injectable } from '@nestjs/common';
import { RuntimeSettingsService, StrategySelectionService } from '../../../platform/strategy';
import {
  CONSUMER_SETTINGS_DEFAULTS,
  ConsumerSettings,
  ORDERS_LAB,
  PRODUCER_SETTINGS_DEFAULTS,
  ProducerSettings,
} from '../orders.config';
import { DELIVERY_PORT, DeliveryPort } from '../strategies/delivery.port';
import { IDEMPOTENCY_PORT, IdempotencyPort } from '../strategies/idempotency.port';
import { PROCESSING_PORT, ProcessingPort } from '../strategies/processing.port';

/**
 * The lab's runtime configuration, all in Redis so every instance agrees: three strategy
 * selections (delivery, processing, idempotency) and two settings documents (producer, consumer).
 * Resolved on every call; nothing here caches.
 */
@Injectable()
export class OrdersSettingsService {
  constructor(
    private readonly selection: StrategySelectionService,
    private readonly settings: RuntimeSettingsService,
  ) {}

  delivery(): Promise<{ key: string; strategy: DeliveryPort }> {
    return this.selection.resolve<DeliveryPort>(ORDERS_LAB, DELIVERY_PORT);
  }

  processing(): Promise<{ key: string; strategy: ProcessingPort }> {
    return this.selection.resolve<ProcessingPort>(ORDERS_LAB, PROCESSING_PORT);
  }

  idempotency(): Promise<{ key: string; strategy: IdempotencyPort }> {
    return this.selection.resolve<IdempotencyPort>(ORDERS_LAB, IDEMPOTENCY_PORT);
  }

  async select(
    port: typeof DELIVERY_PORT | typeof PROCESSING_PORT | typeof IDEMPOTENCY_PORT,
    key: string,
  ): Promise<void> {
    await this.selection.select(ORDERS_LAB, port, key);
  }

  producer(): Promise<ProducerSettings> {
    return this.settings.get(ORDERS_LAB, 'producer', PRODUCER_SETTINGS_DEFAULTS);
  }

  patchProducer(changes: Partial<ProducerSettings>): Promise<ProducerSettings> {
    return this.settings.patch(ORDERS_LAB, 'producer', PRODUCER_SETTINGS_DEFAULTS, changes);
  }

  consumer(): Promise<ConsumerSettings> {
    return this.settings.get(ORDERS_LAB, 'consumer', CONSUMER_SETTINGS_DEFAULTS);
  }

  patchConsumer(changes: Partial<ConsumerSettings>): Promise<ConsumerSettings> {
    return this.settings.patch(ORDERS_LAB, 'consumer', CONSUMER_SETTINGS_DEFAULTS, changes);
  }
}
