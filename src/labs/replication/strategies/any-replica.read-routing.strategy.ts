import { Injectable } from '@nestjs/common';
import { LabStrategy } from '../../../platform/strategy/lab-strategy.decorator';
import { ClusterGatewayService, errorMessage } from '../persistence/cluster-gateway.service';
import { LAB, READ_ROUTING_PORT, REPLICA_NAMES, ReadStrategyKey } from '../replication.config';
import { ReadRequest, ReadRoutingPort, RoutedRead, served, shuffled } from './read-routing.port';

/**
 * Reads go to whichever replica is picked, as it is. The window is the replica's lag: a read right
 * after a write misses it (your own write too), and two reads in a row can go back in time when
 * they land on replicas with different lag.
 */
@Injectable()
@LabStrategy({
  lab: LAB,
  port: READ_ROUTING_PORT,
  key: ReadStrategyKey.AnyReplica,
  isDefault: true,
  description: 'Read any replica as it is: stale reads, missed own writes, non-monotonic reads',
})
export class AnyReplicaReadRoutingStrategy extends ReadRoutingPort {
  constructor(private readonly cluster: ClusterGatewayService) {
    super();
  }

  async read({ key }: ReadRequest): Promise<RoutedRead> {
    const errors: string[] = [];
    for (const replica of shuffled(REPLICA_NAMES)) {
      try {
        return served(replica, await this.cluster.replicaKey(replica, key));
      } catch (err) {
        errors.push(`${replica}: ${errorMessage(err)}`);
      }
    }
    return { status: 'unavailable', reason: errors.join('; ') };
  }
}
