import { Injectable } from '@nestjs/common';
import { LabStrategy } from '../../../platform/strategy/lab-strategy.decorator';
import { ClusterGatewayService, errorMessage } from '../persistence/cluster-gateway.service';
import { LAB, READ_ROUTING_PORT, REPLICA_NAMES, ReadStrategyKey } from '../replication.config';
import { maxLsn, reachedLsn } from '../domain/lsn';
import { ReadRequest, ReadRoutingPort, RoutedRead, fromPrimary, served, shuffled } from './read-routing.port';

/**
 * The session token carries the last version this client wrote (and the highest it read). A
 * replica serves the read only once it has applied that version, waiting up to max_wait_ms;
 * otherwise the primary serves it. So a client always sees its own writes and never goes back in
 * time. What stays open: writes of *other* clients may still be missing on the replica.
 *
 * postgres-streaming: the token carries WAL positions instead — `l`, the commit LSN of the
 * session's last write, and `s`, the highest LSN it has seen. The standby is asked to hold the read
 * until `pg_last_wal_replay_lsn() >= greatest(l, s)` (polled, up to max_wait_ms) and only then reads,
 * so the read's snapshot is taken after that commit was replayed. Same window left open: other
 * sessions' commits past that LSN.
 */
@Injectable()
@LabStrategy({
  lab: LAB,
  port: READ_ROUTING_PORT,
  key: ReadStrategyKey.ReadYourWrites,
  description: 'Replica serves once it has the session’s last write (waits up to max_wait_ms), else the primary',
})
export class ReadYourWritesReadRoutingStrategy extends ReadRoutingPort {
  constructor(private readonly cluster: ClusterGatewayService) {
    super();
  }

  async read({ key, session, settings }: ReadRequest): Promise<RoutedRead> {
    const needed = Math.max(session.w, session.r);
    const [replica] = shuffled(REPLICA_NAMES);
    const neededLsn = maxLsn(session.l, session.s);
    if (neededLsn !== undefined) {
      try {
        const read = await this.cluster.replicaKey(replica, key, { minLsn: neededLsn, waitMs: settings.max_wait_ms });
        if (read.reached && reachedLsn(read.replay_lsn, neededLsn)) return served(replica, read);
        return fromPrimary(
          this.cluster,
          key,
          `${replica} replayed up to ${read.replay_lsn ?? 'nothing'} after ${read.waited_ms ?? 0} ms, session needs ${neededLsn}`,
        );
      } catch (err) {
        return fromPrimary(this.cluster, key, `${replica}: ${errorMessage(err)}`);
      }
    }
    try {
      const read = await this.cluster.replicaKey(replica, key, { minVersion: needed, waitMs: settings.max_wait_ms });
      if (read.version >= needed && (session.e === 0 || read.epoch === session.e)) return served(replica, read);
      return fromPrimary(
        this.cluster,
        key,
        `${replica} at version ${read.version} after ${read.waited_ms ?? 0} ms, session needs ${needed}`,
      );
    } catch (err) {
      return fromPrimary(this.cluster, key, `${replica}: ${errorMessage(err)}`);
    }
  }
}
