import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { NodePortsService } from '../http/node-ports.service';
import { NodeClientService } from '../http/node-client.service';
import { NetworkFaultsService } from './network-faults.service';
import { NodeDownGuard } from './node-down.guard';
import { NodeLifecycleService } from './node-lifecycle.service';

/** Node ports, node-to-node calls and the faults injected at those boundaries. */
@Global()
@Module({
  providers: [
    NodePortsService,
    NodeClientService,
    NetworkFaultsService,
    NodeLifecycleService,
    { provide: APP_GUARD, useClass: NodeDownGuard },
  ],
  exports: [NodePortsService, NodeClientService, NetworkFaultsService, NodeLifecycleService],
})
export class FaultsModule {}
