import { Controller, DynamicModule, Get, Module, Type } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { nodeRoute } from '../../platform/config/lab-plan';

/** Placeholder until the booking lab lands: every node answers /health. */
function healthController(node: string): Type<unknown> {
  @ApiTags('booking')
  @Controller(nodeRoute('booking', node))
  class NodeHealthController {
    @Get('health')
    health() {
      return { status: 'healthy', service: 'booking', node };
    }
  }
  return NodeHealthController;
}

@Module({})
export class BookingModule {
  static register(nodes: string[]): DynamicModule {
    return { module: BookingModule, controllers: nodes.map(healthController) };
  }
}
