import { Injectable } from '@nestjs/common';
import { LabStrategy } from '../../../platform/strategy/lab-strategy.decorator';
import { ClusterGatewayService, errorMessage } from '../persistence/cluster-gateway.service';
import { LAB, READ_ROUTING_PORT, REPLICA_NAMES, ReadStrategyKey } from '../replication.config';
import { reachedLsn } from '../domain/lsn';
import { ReadRequest, ReadRoutingPort, RoutedRead, fromPrimary, served, shuffled } from './read-routing.port';

/**
 * Monotonic reads only: a replica serves if it is at least at the highest version this session has
 * already read, so time never runs backwards between two reads. The window it leaves open: a read
 * right after your own write can still miss it (nothing here looks at the last write).
 *
 * postgres-streaming: on the session's highest-seen WAL position `s` (each read reports the
 * position measured after its snapshot, an upper bound of what it saw): a standby serves once
 * `pg_last_wal_replay_lsn() >= s`. Same window: your own latest write until a standby replayed it.
 */
@Injectable()
@LabStrategy({
  lab: LAB,
  port: READ_ROUTING_PORT,
  key: ReadStrategyKey.MonotonicReads,
  description:
    'Any replica at or past the highest version the session has read (own writes may be missed); else the primary',
})
export class MonotonicReadsReadRoutingStrategy extends ReadRoutingPort {
  constructor(private readonly cluster: ClusterGatewayService) {
    super();
  }

  async read({ key, session, settings }: ReadRequest): Promise<RoutedRead> {
    const seen = session.r;
    const seenLsn = session.s;
    const reasons: string[] = [];
    for (const [i, replica] of shuffled(REPLICA_NAMES).entries()) {
      if (seenLsn !== undefined) {
        try {
          const read = await this.cluster.replicaKey(replica, key, {
            minLsn: seenLsn,
            waitMs: i === 0 ? settings.max_wait_ms : 0,
          });
          if (reachedLsn(read.replay_lsn, seenLsn)) return served(replica, read);
          reasons.push(`${replica} replayed up to ${read.replay_lsn ?? 'nothing'} < ${seenLsn}`);
        } catch (err) {
          reasons.push(`${replica}: ${errorMessage(err)}`);
        }
        continue;
      }
      try {
        // Only the first replica may wait; the second is asked as it is.
        const read = await this.cluster.replicaKey(replica, key, {
          minVersion: seen,
          waitMs: i === 0 ? settings.max_wait_ms : 0,
        });
        if (read.version >= seen && (session.e === 0 || read.epoch === session.e)) return served(replica, read);
        reasons.push(`${replica} at ${read.version} < ${seen}`);
      } catch (err) {
        reasons.push(`${replica}: ${errorMessage(err)}`);
      }
    }
    return fromPrimary(this.cluster, key, reasons.join('; '));
  }
}
