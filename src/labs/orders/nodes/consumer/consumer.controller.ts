import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { nodeRoute } from '../../../../platform/config/lab-plan';
import { ConsumerConfigRequestDto } from '../../api/dto/consumer-config.request.dto';
import { SimulateCrashRequestDto } from '../../api/dto/simulate-crash.request.dto';
import { OrderQueriesService } from '../../application/order-queries.service';
import { OrdersSettingsService } from '../../application/orders-settings.service';
import { OrdersTopicsService } from '../../application/orders-topics.service';
import { ORDERS_NODES } from '../../orders.config';
import { IdempotencyKey } from '../../strategies/idempotency.port';
import { OrderConsumer } from '../../application/order.consumer';

/** Consumer node (seed port 8001). */
@ApiTags('orders')
@Controller(nodeRoute('orders', ORDERS_NODES.consumer))
export class ConsumerController {
  constructor(
    private readonly consumer: OrderConsumer,
    private readonly settings: OrdersSettingsService,
    private readonly topics: OrdersTopicsService,
    private readonly queries: OrderQueriesService,
  ) {}

  @Get('health')
  @ApiOperation({ summary: 'Consumer health and the messages it received since it (re)started' })
  health() {
    return {
      status: 'ok',
      service: ORDERS_NODES.consumer,
      messages_processed: this.consumer.messagesReceived,
      kafka_consumer_running: this.consumer.connected,
    };
  }

  @Get('config')
  @ApiOperation({
    summary:
      'Processing mode, idempotency and the injected faults (failure rate, crash point), as stored; in_effect: what this consumer process has applied (the mode its Kafka consumer was built with, the armed crash point)',
  })
  async config() {
    return {
      ...(await this.current()),
      kafka_topic: this.topics.orders,
      kafka_group_id: this.topics.groupId,
      messages_processed: this.consumer.messagesReceived,
      in_effect: this.consumer.inEffect(),
    };
  }

  @Post('config')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Change processing mode (rebuilds the Kafka consumer), idempotency, failure_rate, and arm a one-shot crash (crash_after_messages at crash_point)',
  })
  async configure(@Body() body: ConsumerConfigRequestDto) {
    if (body.processing_mode != null) await this.settings.select('processing', body.processing_mode);
    if (body.enable_idempotency != null) {
      await this.settings.select(
        'idempotency',
        body.enable_idempotency ? IdempotencyKey.Idempotent : IdempotencyKey.None,
      );
    }
    await this.settings.patchConsumer({
      failure_rate: body.failure_rate ?? undefined,
      crash_after_messages: body.crash_after_messages ?? undefined,
      crash_point: body.crash_point ?? undefined,
      restart_after_ms: body.restart_after_ms ?? undefined,
    });
    await this.consumer.applySettings();
    return { status: 'updated', restart_required: false, ...(await this.current()) };
  }

  @Get('stats')
  @ApiOperation({ summary: 'Processed messages, orders, side effects and the 10 latest processed messages' })
  stats() {
    return this.queries.consumerStats();
  }

  @Post('reset-stats')
  @HttpCode(200)
  @ApiOperation({ summary: 'Empty processed_messages, orders and processing_log and zero the in-process counter' })
  async resetStats() {
    await this.queries.reset();
    this.consumer.resetCounter();
    return {
      status: 'reset',
      message: 'Processed messages, orders and the processing log were cleared; the message counter is 0.',
    };
  }

  @Post('simulate/crash')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Crash the consumer 100 ms from now: its port closes, its Kafka consumer is torn down without committing; it restarts after restart_after_ms, or at once via POST /admin/labs/orders/nodes/consumer/restart on the main port',
  })
  simulateCrash(@Body() body: SimulateCrashRequestDto) {
    const restartAfterMs = this.consumer.scheduleCrash(body?.restart_after_ms);
    return {
      status: 'crashing',
      message: `The consumer dies in 100 ms and restarts by itself after ${restartAfterMs} ms (or now: POST /admin/labs/orders/nodes/consumer/restart on the main port).`,
      restart_after_ms: restartAfterMs,
    };
  }

  private async current() {
    const [processing, idempotency, settings] = await Promise.all([
      this.settings.processing(),
      this.settings.idempotency(),
      this.settings.consumer(),
    ]);
    return {
      processing_mode: processing.key,
      enable_idempotency: idempotency.key === IdempotencyKey.Idempotent,
      failure_rate: settings.failure_rate,
      crash_after_messages: settings.crash_after_messages,
      crash_point: settings.crash_point,
      restart_after_ms: settings.restart_after_ms,
    };
  }
}
