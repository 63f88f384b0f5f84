import { Controller, DynamicModule, Get, Module, Type } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { nodeRoute } from '../../platform/config/lab-plan';

/** Placeholder until the replication lab lands: every node answers /health. */
function healthController(node: string): Type<unknown> {
  @ApiTags('replication')
  @Controller(nodeRoute('replication', node))
  class NodeHealthController {
    @Get('health')
    health() {
      return { status: 'healthy', service: 'replication', node };
    }
  }
  return NodeHealthController;
}

@Module({})
export class ReplicationModule {
  static register(nodes: string[]): DynamicModule {
    return { module: ReplicationModule, controllers: nodes.map(healthController) };
  }
}
