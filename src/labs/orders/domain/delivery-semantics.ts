/** The static comparison served by GET /compare/semantics (the seed's document, same keys and values). */
export const DELIVERY_SEMANTICS = {
  at_most_once: {
    description:
      'Each message is delivered zero or one time. The producer does not wait for an acknowledgement and the consumer commits before processing, so a failure loses messages but never repeats them.',
    producer_config: { acks: 0, retries: 0 },
    consumer_config: { enable_auto_commit: true, auto_commit_interval_ms: 100 },
    guarantees: { message_loss: 'Possible', duplicates: 'None', ordering: 'Best effort' },
    use_cases: [
      'Metrics and telemetry where a gap is acceptable',
      'Log shipping under heavy load',
      'Real-time feeds where the newest value wins',
    ],
  },
  at_least_once: {
    description:
      'Each message is delivered one or more times. The producer retries until acknowledged and the consumer commits after processing, so nothing is lost but a crash or retry can repeat a message.',
    producer_config: { acks: 'all', retries: 3 },
    consumer_config: { enable_auto_commit: false, commit_after_processing: true },
    guarantees: { message_loss: 'None', duplicates: 'Possible on failure', ordering: 'Per partition' },
    use_cases: [
      'Notifications that tolerate a repeat',
      'Events consumed by naturally idempotent handlers',
      'Cache invalidation',
    ],
  },
  exactly_once: {
    description:
      'Each message takes effect exactly once: an idempotent, transactional producer writes atomically, read_committed consumers ignore aborted writes, and an idempotent consumer makes redeliveries harmless.',
    producer_config: { acks: 'all', enable_idempotence: true, transactional_id: 'required for transactions' },
    consumer_config: {
      enable_auto_commit: false,
      isolation_level: 'read_committed',
      idempotent_processing: 'Required in consumer',
    },
    guarantees: { message_loss: 'None', duplicates: 'None (with idempotent consumer)', ordering: 'Per partition' },
    use_cases: ['Payments and order processing', 'Inventory and account balances', 'Billing and ledger entries'],
  },
} as const;
