import { Controller, DynamicModule, Get, Module, Type } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { nodeRoute } from '../../platform/config/lab-plan';

/** Placeholder until the orders lab lands: every node answers /health. */
function healthController(node: string): Type<unknown> {
  @ApiTags('orders')
  @Controller(nodeRoute('orders', node))
  class NodeHealthController {
    @Get('health')
    health() {
      return { status: 'healthy', service: 'orders', node };
    }
  }
  return NodeHealthController;
}

@Module({})
export class OrdersModule {
  static register(nodes: string[]): DynamicModule {
    return { module: OrdersModule, controllers: nodes.map(healthController) };
  }
}
