import { Injectable } from '@nestjs/common';
import { LabStrategy } from '../../../platform/strategy/lab-strategy.decorator';
import { ClusterGatewayService, errorMessage } from '../persistence/cluster-gateway.service';
import { LAB, READ_ROUTING_PORT, ReadStrategyKey } from '../replication.config';
import { ReadRequest, ReadRoutingPort, RoutedRead, served } from './read-routing.port';

/**
 * Every read goes to the primary: no window at all — each read sees every committed write — but
 * the replicas take no read load and the primary is a single point of failure for reads.
 */
@Injectable()
@LabStrategy({
  lab: LAB,
  port: READ_ROUTING_PORT,
  key: ReadStrategyKey.PrimaryOnly,
  description: 'Read from the primary: always fresh, no read scaling',
})
export class PrimaryOnlyReadRoutingStrategy extends ReadRoutingPort {
  constructor(private readonly cluster: ClusterGatewayService) {
    super();
  }

  async read({ key }: ReadRequest): Promise<RoutedRead> {
    try {
      return served('primary', await this.cluster.primaryKey(key));
    } catch (err) {
      return { status: 'unavailable', reason: `primary: ${errorMessage(err)}` };
    }
  }
}
