import { makeCounterProvider, makeGaugeProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';

/** The seed's metric names and labels, kept exactly; `orders_*` ones are this lab's additions. */
export const OrdersMetric = {
  messagesProduced: 'messages_produced_total',
  produceLatency: 'produce_latency_seconds',
  transactions: 'transactions_total',
  currentDeliveryMode: 'current_delivery_mode',
  messagesInTransaction: 'messages_in_transaction_total',
  messagesConsumed: 'messages_consumed_total',
  messagesProcessed: 'messages_processed_total',
  duplicatesDetected: 'duplicates_detected_total',
  processingLatency: 'processing_latency_seconds',
  consumerLag: 'consumer_lag',
  processingErrors: 'processing_errors_total',
  currentProcessingMode: 'current_processing_mode',
  idempotencyEnabled: 'idempotency_enabled',
  messagesInDatabase: 'messages_in_database_total',
  crashSimulated: 'crash_simulated_total',
  messageOutcomes: 'orders_message_outcomes_total',
  producersFenced: 'orders_producers_fenced_total',
  fencedOrders: 'orders_fenced_orders_total',
} as const;

/** Gauge encoding of the seed: at-most-once 0, at-least-once 1, exactly-once 2. */
export const MODE_GAUGE_VALUE: Record<string, number> = { 'at-most-once': 0, 'at-least-once': 1, 'exactly-once': 2 };

export const ordersMetricProviders = [
  makeCounterProvider({
    name: OrdersMetric.messagesProduced,
    help: 'Messages produced, by delivery mode and status (success, sent = unacknowledged acks=0, error, aborted)',
    labelNames: ['service', 'topic', 'delivery_mode', 'status'],
  }),
  makeHistogramProvider({
    name: OrdersMetric.produceLatency,
    help: 'Time to hand a message to Kafka under the delivery mode, in seconds',
    labelNames: ['service', 'topic', 'delivery_mode'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0],
  }),
  makeCounterProvider({
    name: OrdersMetric.transactions,
    help: 'Kafka transactions of the producer, by status (committed, aborted)',
    labelNames: ['service', 'status'],
  }),
  makeGaugeProvider({
    name: OrdersMetric.currentDeliveryMode,
    help: 'Producer delivery mode: 0 at-most-once, 1 at-least-once, 2 exactly-once',
    labelNames: ['service'],
  }),
  makeCounterProvider({
    name: OrdersMetric.messagesInTransaction,
    help: 'Messages committed inside Kafka transactions',
    labelNames: ['service', 'topic'],
  }),
  makeCounterProvider({
    name: OrdersMetric.messagesConsumed,
    help: 'Messages received by the consumer, redeliveries included',
    labelNames: ['service', 'topic', 'status'],
  }),
  makeCounterProvider({
    name: OrdersMetric.messagesProcessed,
    help: 'Messages whose order side effect was applied',
    labelNames: ['service', 'topic', 'processing_mode'],
  }),
  makeCounterProvider({
    name: OrdersMetric.duplicatesDetected,
    help: 'Redelivered messages recognised by the idempotent consumer and skipped',
    labelNames: ['service', 'topic'],
  }),
  makeHistogramProvider({
    name: OrdersMetric.processingLatency,
    help: 'Time to process one message (database transaction and offset commit), in seconds',
    labelNames: ['service', 'topic'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5],
  }),
  makeGaugeProvider({
    name: OrdersMetric.consumerLag,
    help: 'Messages behind the high watermark, per partition, as the consumer last saw it',
    labelNames: ['service', 'topic', 'partition'],
  }),
  makeCounterProvider({
    name: OrdersMetric.processingErrors,
    help: 'Processing errors by type (simulated, processing, kafka)',
    labelNames: ['service', 'topic', 'error_type'],
  }),
  makeGaugeProvider({
    name: OrdersMetric.currentProcessingMode,
    help: 'Consumer processing mode: 0 at-most-once, 1 at-least-once, 2 exactly-once',
    labelNames: ['service'],
  }),
  makeGaugeProvider({
    name: OrdersMetric.idempotencyEnabled,
    help: '1 when the consumer deduplicates messages in the database transaction, else 0',
    labelNames: ['service'],
  }),
  makeGaugeProvider({
    name: OrdersMetric.messagesInDatabase,
    help: 'Rows in processed_messages (a gauge despite the seed name)',
    labelNames: ['service'],
  }),
  makeCounterProvider({
    name: OrdersMetric.crashSimulated,
    help: 'Simulated consumer crashes',
    labelNames: ['service'],
  }),
  makeCounterProvider({
    name: OrdersMetric.messageOutcomes,
    help: 'What happened to each delivered message, by idempotency strategy and outcome',
    labelNames: ['strategy', 'outcome'],
  }),
  makeCounterProvider({
    name: OrdersMetric.producersFenced,
    help: 'Transactional producers fenced by the zombie demo (a second producer initialised the same transactional id)',
    labelNames: ['service'],
  }),
  makeCounterProvider({
    name: OrdersMetric.fencedOrders,
    help: 'Orders answered 503 ORDERS.PRODUCER_FENCED: their transaction was on a fenced producer and was aborted',
    labelNames: ['service'],
  }),
];
