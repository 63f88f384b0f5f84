import { Injectable } from '@nestjs/common';
import { LabStrategy } from '../../../platform/strategy/lab-strategy.decorator';
import { StreamingClusterService } from '../persistence/streaming-cluster.service';
import { LAB, REPLICATION_ENGINE_PORT, ReplicationEngineKey } from '../replication.config';
import { ReplicationEnginePort } from './replication-engine.port';

/**
 * PostgreSQL streaming replication: writes commit on a primary of their own, each replica reads
 * its own hot standby, and the delay is the standby's recovery_min_apply_delay (WAL arrives at
 * once, a commit is replayed that long after it was made). The lag is the database's.
 */
@Injectable()
@LabStrategy({
  lab: LAB,
  port: REPLICATION_ENGINE_PORT,
  key: ReplicationEngineKey.PostgresStreaming,
  description:
    'PostgreSQL streaming replication: a primary and two hot standbys, delays = recovery_min_apply_delay, routing on LSNs',
})
export class PostgresStreamingReplicationEngine extends ReplicationEnginePort {
  readonly key = ReplicationEngineKey.PostgresStreaming;

  constructor(private readonly cluster: StreamingClusterService) {
    super();
  }

  async unavailableReason(): Promise<string | undefined> {
    const status = await this.cluster.status();
    return status.available ? undefined : status.reason;
  }
}
