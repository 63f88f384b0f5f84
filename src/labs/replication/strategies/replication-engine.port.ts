import { ReplicationEngineKey } from '../replication.config';

/** What carries a write from the primary to the replicas: the lab's own log, or PostgreSQL's WAL. */
export abstract class ReplicationEnginePort {
  abstract readonly key: ReplicationEngineKey;
  /** Why the engine cannot serve right now, or undefined when it can. */
  abstract unavailableReason(): Promise<string | undefined>;
}
