import { Controller, DynamicModule, Get, Module, Type } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { nodeRoute } from '../../platform/config/lab-plan';

/** Placeholder until the bank lab lands: every node answers /health. */
function healthController(node: string): Type<unknown> {
  @ApiTags('bank')
  @Controller(nodeRoute('bank', node))
  class NodeHealthController {
    @Get('health')
    health() {
      return { status: 'healthy', service: 'bank', node };
    }
  }
  return NodeHealthController;
}

@Module({})
export class BankModule {
  static register(nodes: string[]): DynamicModule {
    return { module: BankModule, controllers: nodes.map(healthController) };
  }
}
