import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { nodeRoute } from '../../../../platform/config/lab-plan';
import { LabException } from '../../../../platform/http/lab-exception';
import { ListOrdersQueryDto } from '../../api/dto/list-orders.query.dto';
import { OrderQueriesService } from '../../application/order-queries.service';
import { DELIVERY_SEMANTICS } from '../../domain/delivery-semantics';
import { ORDERS_NODES } from '../../orders.config';
import { KafkaInspectionService } from '../../application/kafka-inspection.service';
import { ApiErrors } from '../../../../platform/http/openapi';

/** Query api node (seed port 8003). */
@ApiTags('orders')
@Controller(nodeRoute('orders', ORDERS_NODES.api))
export class QueryApiController {
  constructor(
    private readonly queries: OrderQueriesService,
    private readonly kafka: KafkaInspectionService,
  ) {}

  @Get('health')
  @ApiOperation({ summary: 'Query api health' })
  health() {
    return { status: 'ok', service: ORDERS_NODES.api };
  }

  @Get('stats')
  @ApiOperation({
    summary:
      'Processed messages, unique orders, side effects (duplicates), delivery attempts and redeliveries detected',
  })
  stats() {
    return this.queries.stats();
  }

  @Get('stats/duplicates')
  @ApiOperation({ summary: 'Unique orders versus side-effect rows; the orders applied more than once' })
  duplicates() {
    return this.queries.duplicates();
  }

  @Get('orders')
  @ApiOperation({ summary: 'Orders, newest first (limit 0..100, default 20; offset; customer_id; status)' })
  orders(@Query() query: ListOrdersQueryDto) {
    return this.queries.listOrders(query);
  }

  @Get('orders/:orderId')
  @ApiErrors(404)
  @ApiOperation({ summary: 'One order and its dedupe record; 404 when neither exists' })
  order(@Param('orderId') orderId: string) {
    if (orderId.length > 255) {
      throw new LabException('REQUEST.VALIDATION_FAILED', 'order_id is longer than 255 characters', 'invalid');
    }
    return this.queries.order(orderId);
  }

  @Post('reset')
  @HttpCode(200)
  @ApiOperation({ summary: 'Empty processed_messages, orders and processing_log (Kafka offsets are kept)' })
  async reset() {
    await this.queries.reset();
    return {
      status: 'reset',
      message:
        'processed_messages, orders and processing_log were cleared. Kafka offsets are kept, so consumed messages are not replayed.',
    };
  }

  @Get('compare/semantics')
  @ApiOperation({ summary: 'At-most-once, at-least-once and exactly-once side by side' })
  semantics() {
    return DELIVERY_SEMANTICS;
  }

  @Get('kafka/topics')
  @ApiOperation({ summary: "The lab's topics with partitions, leaders, replicas and ISRs" })
  topics() {
    return this.kafka.topicsOverview();
  }

  @Get('kafka/consumer-groups')
  @ApiOperation({ summary: "The lab's consumer groups and their state" })
  groups() {
    return this.kafka.consumerGroups();
  }

  @Get('kafka/lag')
  @ApiOperation({ summary: 'Lag of the order-processors group per partition (committed offsets via the admin API)' })
  lag() {
    return this.kafka.lag();
  }
}
