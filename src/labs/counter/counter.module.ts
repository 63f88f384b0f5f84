import { Controller, DynamicModule, Get, Module, Type } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { nodeRoute } from '../../platform/config/lab-plan';

/** Placeholder until the counter lab lands: every node answers /health. */
function healthController(node: string): Type<unknown> {
  @ApiTags('counter')
  @Controller(nodeRoute('counter', node))
  class NodeHealthController {
    @Get('health')
    health() {
      return { status: 'healthy', service: 'counter', node };
    }
  }
  return NodeHealthController;
}

@Module({})
export class CounterModule {
  static register(nodes: string[]): DynamicModule {
    return { module: CounterModule, controllers: nodes.map(healthController) };
  }
}
