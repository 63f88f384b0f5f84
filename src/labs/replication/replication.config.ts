/** The replicas of the lab, by node name; their seed hostnames and URLs are kept so seed curls work. */
export const REPLICA_NAMES = ['replica1', 'replica2'] as const;
export type ReplicaName = (typeof REPLICA_NAMES)[number];

export const REPLICA_SEED: Record<ReplicaName, { hostname: string; seedUrl: string; defaultDelayMs: number }> = {
  replica1: { hostname: 'lab14-replica1', seedUrl: 'http://lab14-replica1:8001', defaultDelayMs: 500 },
  replica2: { hostname: 'lab14-replica2', seedUrl: 'http://lab14-replica2:8002', defaultDelayMs: 1500 },
};

export const LAB = 'replication' as const;
export const READ_ROUTING_PORT = 'read-routing';
/** Which machinery replicates: the lab's own log (default) or PostgreSQL streaming replication. */
export const REPLICATION_ENGINE_PORT = 'replication-engine';

export const ReplicationEngineKey = {
  AppLog: 'app-log',
  PostgresStreaming: 'postgres-streaming',
} as const;
export type ReplicationEngineKey = (typeof ReplicationEngineKey)[keyof typeof ReplicationEngineKey];

/** Keys of the read strategies (the `strategy` label and what POST /admin/read-strategy accepts). */
export const ReadStrategyKey = {
  PrimaryOnly: 'primary-only',
  AnyReplica: 'any-replica',
  ReadYourWrites: 'read-your-writes',
  MonotonicReads: 'monotonic-reads',
  BoundedStaleness: 'bounded-staleness',
} as const;
export type ReadStrategyKey = (typeof ReadStrategyKey)[keyof typeof ReadStrategyKey];
export const READ_STRATEGY_KEYS = Object.values(ReadStrategyKey);

export function isReplicaName(value: string): value is ReplicaName {
  return (REPLICA_NAMES as readonly string[]).includes(value);
}

/** Epochs live in an `integer` column; LSNs and versions in `bigint`, used up to JavaScript's exact range. */
export const MAX_EPOCH = 2 ** 31 - 1;
export const MAX_LSN = Number.MAX_SAFE_INTEGER;

export const REPLICATION_DEFAULTS = {
  /** Upper bound for an admin-set replication delay. */
  maxDelayMs: 600_000,
  /** How long a failed shipment waits before the primary retries it. */
  shipRetryMs: 500,
  /** Most entries one /replicate call or one log page carries. */
  batchLimit: 500,
  /** The client's background consistency poll (seed POLL_INTERVAL_MS). */
  pollIntervalMs: 500,
  /** One long-poll round of write-and-wait asks a replica to hold the answer at most this long. */
  longPollMs: 2000,
  /** How long a replica read waits for the primary to say how far behind the replica is. */
  lagProbeTimeoutMs: 300,
  /** Long-poll reads (`?min_version=&wait_ms=`) one replica holds at once; more answer 503. */
  maxWaiters: 1000,
  /** Client → node HTTP timeout (seed: 5 s). */
  clientTimeoutMs: 5000,
} as const;

/** Settings of the client's read strategies, changed at runtime through POST /admin/read-strategy. */
export interface ReadSettings {
  /** read-your-writes / monotonic-reads: how long a replica may wait to catch up before the primary serves. */
  max_wait_ms: number;
  /** bounded-staleness: serve from a replica at most this many versions behind the primary... */
  max_versions_behind: number;
  /** ...and at most this many ms behind it. */
  max_ms_behind: number;
}

export const DEFAULT_READ_SETTINGS: ReadSettings = { max_wait_ms: 250, max_versions_behind: 2, max_ms_behind: 1000 };
