import { Injectable } from '@nestjs/common';
import { LabStrategy } from '../../../platform/strategy/lab-strategy.decorator';
import { ClusterGatewayService, errorMessage } from '../persistence/cluster-gateway.service';
import { LAB, READ_ROUTING_PORT, REPLICA_NAMES, ReadStrategyKey } from '../replication.config';
import { reachedLsn } from '../domain/lsn';
import { ReadRequest, ReadRoutingPort, RoutedRead, fromPrimary, served, shuffled } from './read-routing.port';

/**
 * A replica serves only while it is at most max_versions_behind versions AND max_ms_behind ms
 * behind the primary (as the primary measures it), and not older than what the session already
 * read. It never waits: a replica outside the bound is skipped. The window is bounded, not closed:
 * the latest N writes (or T ms of them) may be missing, your own included. When no replica
 * qualifies (or lag cannot be measured) the primary serves.
 *
 * postgres-streaming: the time bound is the standby's replay lag (now − the commit time of the
 * last transaction it replayed, pg_last_xact_replay_timestamp(), while it is behind), and the
 * monotonic check is on the session's highest-seen LSN.
 */
@Injectable()
@LabStrategy({
  lab: LAB,
  port: READ_ROUTING_PORT,
  key: ReadStrategyKey.BoundedStaleness,
  description:
    'Replica within max_versions_behind / max_ms_behind of the primary (own writes may be missed within it); else the primary',
})
export class BoundedStalenessReadRoutingStrategy extends ReadRoutingPort {
  constructor(private readonly cluster: ClusterGatewayService) {
    super();
  }

  async read({ key, session, settings }: ReadRequest): Promise<RoutedRead> {
    const reasons: string[] = [];
    for (const replica of shuffled(REPLICA_NAMES)) {
      try {
        const read = await this.cluster.replicaKey(replica, key);
        const behind = read.versions_behind ?? null;
        const streaming = read.replay_lsn !== undefined;
        const ms = (streaming ? read.replay_lag_ms : read.ms_behind) ?? null;
        if (behind === null || ms === null) reasons.push(`${replica}: lag unknown`);
        else if (behind > settings.max_versions_behind || ms > settings.max_ms_behind)
          reasons.push(`${replica}: ${behind} versions / ${ms} ms behind`);
        else if (read.epoch === session.e && read.version < session.r)
          reasons.push(`${replica}: older than what the session saw`);
        else if (streaming && !reachedLsn(read.replay_lsn, session.s))
          reasons.push(`${replica}: replayed less than the session saw`);
        else return served(replica, read);
      } catch (err) {
        reasons.push(`${replica}: ${errorMessage(err)}`);
      }
    }
    return fromPrimary(this.cluster, key, reasons.join('; '));
  }
}
