import { Injectable } from '@nestjs/common';
import { LabStrategy } from '../../../platform/strategy/lab-strategy.decorator';
import { LAB, REPLICATION_ENGINE_PORT, ReplicationEngineKey } from '../replication.config';
import { ReplicationEnginePort } from './replication-engine.port';

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
export class AppLogReplicationEngine extends ReplicationEnginePort {
  readonly key = ReplicationEngineKey.AppLog;

  unavailableReason(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }
}
