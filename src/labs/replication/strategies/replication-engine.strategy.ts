import { Injectable } from '@nestjs/common';
import { LabStrategy } from '../../../platform/strategy/lab-strategy.decorator';
import { StreamingClusterService } from '../persistence/streaming-cluster.service';
import { LAB, REPLICATION_ENGINE_PORT, ReplicationEngineKey } from '../replication.config';

/** What carries a write from the primary to the replicas: the lab's own log, or PostgreSQL's WAL. */
export abstract class ReplicationEngine {
  abstract readonly key: ReplicationEngineKey;
  /** Why the engine cannot serve right now, or undefined when it can. */
  abstract unavailableReason(): Promise<string | undefined>;
}

/**
 * The app's own ordered log over PostgreSQL tables: the primary ships each entry to each replica
 * after that replica's delay (a timer per write), a replica applies the next LSN only. The lag is
 * the app's timer; nothing in the database lags.
 */
@Injectable()
@LabStrategy({
  lab: LAB,
  port: REPLICATION_ENGINE_PORT,
  key: ReplicationEngineKey.AppLog,
  isDefault: true,
  description: 'The lab’s own ordered log, shipped over HTTP after each replica’s delay (the lag is the app’s timer)',
})
export class AppLogReplicationEngine extends ReplicationEngine {
  readonly key = ReplicationEngineKey.AppLog;

  unavailableReason(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }
}

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
export class PostgresStreamingReplicationEngine extends ReplicationEngine {
  readonly key = ReplicationEngineKey.PostgresStreaming;

  constructor(private readonly cluster: StreamingClusterService) {
    super();
  }

  async unavailableReason(): Promise<string | undefined> {
    const status = await this.cluster.status();
    return status.available ? undefined : status.reason;
  }
}
