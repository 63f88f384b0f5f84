import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Counter, Gauge, Histogram } from 'prom-client';
import { makeCounterProvider, makeGaugeProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import { BoundedLabelValues } from '../../platform/observability/bounded-label';

/** Counter names are user input: the first this many get their own series, later ones share `other`. */
export const COUNTER_NAME_LABEL_LIMIT = 50;

/** Seed metric names, kept exactly; `counter_name` added where the original forgot it. */
export const M = {
  localCount: 'counter_local_count',
  syncedCount: 'counter_synced_count',
  syncLag: 'counter_sync_lag_ms',
  conflicts: 'counter_conflicts_resolved_total',
  increments: 'counter_increments_total',
  syncOps: 'counter_sync_operations_total',
  syncLatency: 'counter_sync_latency_seconds',
  coordGlobal: 'coordinator_global_count',
  coordRegion: 'coordinator_region_count',
  coordLag: 'coordinator_convergence_lag',
  coordLatency: 'coordinator_query_latency_seconds',
  coordHealthy: 'coordinator_healthy_regions',
  gwRequests: 'gateway_requests_total',
  gwDuration: 'gateway_request_duration_seconds',
  gwRouted: 'gateway_routed_to_region_total',
  gwComparison: 'gateway_consistency_comparison_seconds',
  strongValue: 'consistent_counter_value',
  strongLatency: 'consistent_counter_increment_latency_seconds',
  strongIncrements: 'consistent_counter_increments_total',
  strongLockWait: 'consistent_counter_lock_wait_seconds',
  healToConvergence: 'counter_heal_to_convergence_seconds',
  idempotentReplays: 'counter_idempotent_replays_total',
} as const;

const SYNC_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

export const counterMetricProviders = [
  makeGaugeProvider({
    name: M.localCount,
    help: "This node's own entry of a G-Counter",
    labelNames: ['service', 'region', 'node_id', 'counter_name'],
  }),
  makeGaugeProvider({
    name: M.syncedCount,
    help: 'Total of a G-Counter as this region sees it (sum of its node map)',
    labelNames: ['service', 'region', 'counter_name'],
  }),
  makeGaugeProvider({
    name: M.syncLag,
    help: 'Milliseconds since this region last exchanged state with at least one peer',
    labelNames: ['service', 'region'],
  }),
  makeCounterProvider({
    name: M.conflicts,
    help: 'Node entries that differed between two replicas during a merge (staleness, not conflicts)',
    labelNames: ['service', 'region'],
  }),
  makeCounterProvider({
    name: M.increments,
    help: 'Increments applied on this region',
    labelNames: ['service', 'region', 'counter_name'],
  }),
  makeCounterProvider({
    name: M.syncOps,
    help: 'Anti-entropy exchanges by outcome (success, error, partition, reset: not started while a lab reset runs)',
    labelNames: ['service', 'region', 'status'],
  }),
  makeHistogramProvider({
    name: M.syncLatency,
    help: 'Duration of one anti-entropy round with all peers',
    labelNames: ['service', 'region'],
    buckets: SYNC_BUCKETS,
  }),
  makeGaugeProvider({
    name: M.coordGlobal,
    help: 'Global count of a counter',
    labelNames: ['counter_name', 'strategy'],
  }),
  makeGaugeProvider({
    name: M.coordRegion,
    help: 'Total of a counter per region, as read by the coordinator',
    labelNames: ['counter_name', 'region'],
  }),
  makeGaugeProvider({ name: M.coordLag, help: 'Max minus min regional total', labelNames: ['counter_name'] }),
  makeHistogramProvider({
    name: M.coordLatency,
    help: 'Coordinator fan-out latency',
    labelNames: ['operation'],
    buckets: SYNC_BUCKETS,
  }),
  makeGaugeProvider({ name: M.coordHealthy, help: 'Regions that answered the last global query' }),
  makeCounterProvider({
    name: M.gwRequests,
    help: 'Gateway requests',
    labelNames: ['method', 'endpoint', 'status'],
  }),
  makeHistogramProvider({
    name: M.gwDuration,
    help: 'Gateway request duration',
    labelNames: ['method', 'endpoint'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0],
  }),
  makeCounterProvider({ name: M.gwRouted, help: 'Increments routed to each region', labelNames: ['region'] }),
  makeHistogramProvider({
    name: M.gwComparison,
    help: 'Increment latency: eventual (one region) versus strong (the linearizable counter)',
    labelNames: ['consistency_type'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5],
  }),
  makeGaugeProvider({ name: M.strongValue, help: 'Value of the strong counter', labelNames: ['counter_name'] }),
  makeHistogramProvider({
    name: M.strongLatency,
    help: 'Strong increment latency including coordination',
    labelNames: ['counter_name'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0],
  }),
  makeCounterProvider({
    name: M.strongIncrements,
    help: 'Strong increments',
    labelNames: ['counter_name', 'strategy'],
  }),
  makeHistogramProvider({
    name: M.strongLockWait,
    help: 'Time spent waiting for the strong counter lock',
    labelNames: ['counter_name'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
  }),
  makeHistogramProvider({
    name: M.healToConvergence,
    help: 'Time from a partition heal (via the gateway) until every region holds the same node maps',
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  }),
  makeCounterProvider({
    name: M.idempotentReplays,
    help: 'Increments answered from the idempotency record instead of counting again',
    labelNames: ['region'],
  }),
];

/** The lab's metrics in one injectable, so per-region services built by factories can share them. */
@Injectable()
export class CounterMetrics {
  /** Every `counter_name` label goes through this bound (gauges skip names past it). */
  readonly counterNames = new BoundedLabelValues(COUNTER_NAME_LABEL_LIMIT);

  constructor(
    @InjectMetric(M.localCount) readonly localCount: Gauge<string>,
    @InjectMetric(M.syncedCount) readonly syncedCount: Gauge<string>,
    @InjectMetric(M.syncLag) readonly syncLag: Gauge<string>,
    @InjectMetric(M.conflicts) readonly conflicts: Counter<string>,
    @InjectMetric(M.increments) readonly increments: Counter<string>,
    @InjectMetric(M.syncOps) readonly syncOps: Counter<string>,
    @InjectMetric(M.syncLatency) readonly syncLatency: Histogram<string>,
    @InjectMetric(M.coordGlobal) readonly coordGlobal: Gauge<string>,
    @InjectMetric(M.coordRegion) readonly coordRegion: Gauge<string>,
    @InjectMetric(M.coordLag) readonly coordLag: Gauge<string>,
    @InjectMetric(M.coordLatency) readonly coordLatency: Histogram<string>,
    @InjectMetric(M.coordHealthy) readonly coordHealthy: Gauge<string>,
    @InjectMetric(M.gwRequests) readonly gwRequests: Counter<string>,
    @InjectMetric(M.gwDuration) readonly gwDuration: Histogram<string>,
    @InjectMetric(M.gwRouted) readonly gwRouted: Counter<string>,
    @InjectMetric(M.gwComparison) readonly gwComparison: Histogram<string>,
    @InjectMetric(M.strongValue) readonly strongValue: Gauge<string>,
    @InjectMetric(M.strongLatency) readonly strongLatency: Histogram<string>,
    @InjectMetric(M.strongIncrements) readonly strongIncrements: Counter<string>,
    @InjectMetric(M.strongLockWait) readonly strongLockWait: Histogram<string>,
    @InjectMetric(M.healToConvergence) readonly healToConvergence: Histogram<string>,
    @InjectMetric(M.idempotentReplays) readonly idempotentReplays: Counter<string>,
  ) {}
}
