import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { nodeRoute } from '../../../../platform/config/lab-plan';
import { BatchOrdersRequestDto } from '../../api/dto/batch-orders.request.dto';
import { OrderRequestDto } from '../../api/dto/order.request.dto';
import { ProducerConfigRequestDto } from '../../api/dto/producer-config.request.dto';
import { SimulateZombieRequestDto } from '../../api/dto/simulate-zombie.request.dto';
import { OrdersSettingsService } from '../../application/orders-settings.service';
import { OrdersTopicsService } from '../../application/orders-topics.service';
import { PublishOrdersService } from '../../application/publish-orders.service';
import { ZombieProducerService } from '../../application/zombie-producer.service';
import { ORDERS_NODES } from '../../orders.config';
import { ApiErrors } from '../../../../platform/http/openapi';

/** Producer node (seed port 8000). */
@ApiTags('orders')
@Controller(nodeRoute('orders', ORDERS_NODES.producer))
export class ProducerController {
  constructor(
    private readonly publish: PublishOrdersService,
    private readonly topics: OrdersTopicsService,
    private readonly settings: OrdersSettingsService,
    private readonly zombie: ZombieProducerService,
  ) {}

  @Get('health')
  @ApiOperation({ summary: 'Producer health' })
  health() {
    return { status: 'ok', service: ORDERS_NODES.producer };
  }

  @Get('config')
  @ApiOperation({
    summary:
      'Current delivery mode, whether sends use Kafka transactions, the group-commit settings and the transactional producers',
  })
  async config() {
    const [{ key }, producer] = await Promise.all([this.settings.delivery(), this.settings.producer()]);
    return {
      delivery_mode: key,
      enable_transactions: producer.enable_transactions,
      transaction_linger_ms: producer.transaction_linger_ms,
      max_orders_per_transaction: producer.max_orders_per_transaction,
      transactional_producers: producer.transactional_producers,
      kafka_topic: this.topics.orders,
    };
  }

  @Post('config')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Change the delivery mode / transactions / transactional_producers 1..8 (rebuilds the Kafka producers) and group commit (transaction_linger_ms 0..1000, max_orders_per_transaction 1..1000)',
  })
  async configure(@Body() body: ProducerConfigRequestDto) {
    return { status: 'updated', ...(await this.publish.configure(body)) };
  }

  @Post('orders')
  @ApiErrors(409)
  @HttpCode(200)
  @ApiOperation({ summary: 'Publish one order to the orders topic under the current delivery mode' })
  order(@Body() body: OrderRequestDto) {
    return this.publish.publishOne(body);
  }

  @Post('orders/batch')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Publish orders in one Kafka transaction (exactly-once with transactions only); all or nothing',
  })
  batch(@Body() body: BatchOrdersRequestDto) {
    return this.publish.publishBatch(body.orders, body.abort_after_messages);
  }

  @Get('stats')
  @ApiOperation({
    summary:
      'Orders this producer process produced since it started or its last reset-stats, by outcome: success (acked/committed), sent (acks=0), aborted, error; ' +
      'fencing: zombie takeovers and orders refused because their producer was fenced, and the latest takeover',
  })
  async stats() {
    const produced = await this.publish.producedCounts();
    return { produced, total: Object.values(produced).reduce((a, b) => a + b, 0), fencing: this.zombie.stats() };
  }

  @Post('reset-stats')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start the produced counts over (the metric itself keeps counting)' })
  async resetStats() {
    const produced = await this.publish.resetProducedCounts();
    this.zombie.resetStats();
    return { status: 'reset', produced, total: 0, fencing: this.zombie.stats() };
  }

  @Post('simulate/duplicate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send the same order (same order_id) three times, each through the normal send path' })
  duplicate(@Body() body: OrderRequestDto) {
    return this.publish.simulateDuplicate(body);
  }

  @Post('simulate/zombie')
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Start a second transactional producer with the live one's transactional id (exactly-once with transactions only): the broker fences the live one " +
      '(its in-flight POSTs get 503 ORDERS.PRODUCER_FENCED, none a 2xx) and the new one takes over; with `instance` (process mode), ' +
      "another producer instance's id: that instance is fenced and rebuilds its producer",
  })
  simulateZombie(@Body() body: SimulateZombieRequestDto) {
    return this.zombie.simulate(body.instance);
  }
}
