/** Names, defaults and timings of the orders lab (runtime settings change through the nodes' /config). */
export const ORDERS_LAB = 'orders';

export const ORDERS_NODES = { producer: 'producer', consumer: 'consumer', api: 'api' } as const;

/** Base names; every topic, group and transactional id goes through `KafkaService.name()`. */
export const ORDERS_KAFKA = {
  ordersTopic: 'orders',
  resultsTopic: 'order-results',
  dlqTopic: 'dlq',
  groupId: 'order-processors',
  /** Plus the instance number from 1 (`producer-1`, `producer-2`, …): two producer instances never fence each other. */
  transactionalIdPrefix: 'producer-',
  ordersPartitions: 3,
  resultsPartitions: 3,
  dlqPartitions: 1,
} as const;

/** LAB_INSTANCES allows 1-8 processes of a lab: the producer instances whose transactional ids exist. */
export const MAX_PRODUCER_INSTANCES = 8;

export const ORDERS_TIMINGS = {
  /** A send (including connecting and the queue for the transaction) fails with 503 after this. */
  sendTimeoutMs: 5000,
  /** Admin calls of the api node (topics, groups, lag). */
  adminTimeoutMs: 5000,
  /** kafkajs' floor is the broker's group.min.session.timeout.ms (6 s by default). */
  sessionTimeoutMs: 6000,
  heartbeatIntervalMs: 500,
  rebalanceTimeoutMs: 5000,
  /** Long polls stay short so a teardown (crash, mode change) does not wait for one. */
  fetchMaxWaitMs: 500,
  /** A Kafka transaction left open by a dead producer is aborted by the broker after this. */
  transactionTimeoutMs: 10000,
  /** Background (re)connection of the consumer when the broker is unreachable. */
  consumerRetryMinMs: 1000,
  consumerRetryMaxMs: 10000,
  /** Attempts of one message before it goes to the dead-letter topic. */
  maxProcessingAttempts: 3,
  /** Tries of a chunk or record through a dependency failure (connection, timeout, deadlock) before the batch is left uncommitted and fetched again. */
  maxTransientAttempts: 5,
  /** Records of one partition applied in one PostgreSQL transaction (a fetched batch is cut into chunks of at most this many). */
  maxRecordsPerTransaction: 500,
  /** Group commit: a transaction also closes once its orders' values reach this many bytes (the broker's record batch limit is 1 MiB). */
  maxTransactionBytes: 512 * 1024,
  retryBackoffMs: 50,
  databaseGaugeRefreshMs: 5000,
} as const;

export const CRASH_POINTS = ['before-db-write', 'after-db-write', 'after-offset-commit'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

/** Producer settings that are not a strategy selection. */
export interface ProducerSettings {
  enable_transactions: boolean;
  /** Group commit (exactly-once with transactions): how long a transaction waits for more single orders; 0 = one transaction per order. */
  transaction_linger_ms: number;
  /** Group commit: most orders in one transaction. */
  max_orders_per_transaction: number;
  /** Transactional producers of the node (each its own transactional id): how many transactions can be in flight at once. */
  transactional_producers: number;
}

/** Bounds of the producer's group-commit settings (POST /config validates against them). */
export const GROUP_COMMIT_LIMITS = {
  maxLingerMs: 1000,
  maxOrdersPerTransaction: 1000,
  maxTransactionalProducers: 8,
} as const;

export const PRODUCER_SETTINGS_DEFAULTS: ProducerSettings = {
  enable_transactions: true,
  transaction_linger_ms: 5,
  max_orders_per_transaction: 200,
  transactional_producers: 2,
};

/** Consumer fault settings; crash_after_messages is one-shot (back to 0 once it fires, as a restart reverts it). */
export interface ConsumerSettings {
  failure_rate: number;
  crash_after_messages: number;
  crash_point: CrashPoint;
  restart_after_ms: number;
}

export const CONSUMER_SETTINGS_DEFAULTS: ConsumerSettings = {
  failure_rate: 0,
  crash_after_messages: 0,
  crash_point: 'after-db-write',
  restart_after_ms: 1000,
};
