import { Global, Module } from '@nestjs/common';
import { NodePortsService } from '../http/node-ports.service';
import { NodeClientService } from '../http/node-client.service';
import { NetworkFaultsService } from './network-faults.service';
import { NodeLifecycleService } from './node-lifecycle.service';

/** Node ports, node-to-node calls and the faults injected at those boundaries. */
@Global()
@Module({
  providers: [NodePortsService, NodeClientService, NetworkFaultsService, NodeLifecycleService],
  exports: [NodePortsService, NodeClientService, NetworkFaultsService, NodeLifecycleService],
})
export class FaultsModule {}
