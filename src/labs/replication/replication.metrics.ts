import { Injectable } from '@nestjs/common';
import {
  InjectMetric,
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
} from '@willsoto/nestjs-prometheus';
import { Counter, Gauge, Histogram } from 'prom-client';
import { READ_STRATEGY_KEYS, REPLICA_NAMES } from './replication.config';

export const SESSION_READ_OUTCOMES = ['consistent', 'missed_own_write', 'non_monotonic'] as const;

/**
 * Seed metric names, kept exactly. Every per-replica label (`replica`, `replica_id`, `source`)
 * carries the same value, the node name (`replica1`, `replica2`), so dashboards can join them.
 */
export const M = {
  primaryWrites: 'primary_writes_total',
  primaryVersion: 'primary_current_version',
  replicationDelay: 'replication_delay_seconds',
  replicationSuccess: 'replication_success_total',
  replicationFailure: 'replication_failure_total',
  replicaVersion: 'replica_current_version',
  replicaStaleness: 'replica_staleness_ms',
  replicaReceived: 'replica_replication_received_total',
  replicaLag: 'replica_replication_lag_seconds',
  replicaReads: 'replica_reads_total',
  replicaStaleReads: 'replica_stale_reads_total',
  clientStaleReads: 'client_stale_reads_total',
  clientFreshReads: 'client_fresh_reads_total',
  clientLag: 'client_consistency_lag_ms',
  clientDivergence: 'client_version_divergence',
  clientAllConsistent: 'client_all_replicas_consistent',
  clientWindow: 'client_consistency_window_ms',
  clientPollDuration: 'client_poll_duration_seconds',
  sessionReads: 'replication_session_reads_total',
  readFreshness: 'replication_read_freshness_total',
} as const;

export const replicationMetricProviders = [
  makeCounterProvider({ name: M.primaryWrites, help: 'Writes accepted by the primary', labelNames: ['status'] }),
  makeGaugeProvider({ name: M.primaryVersion, help: 'Log sequence number of the last write on the primary' }),
  makeHistogramProvider({
    name: M.replicationDelay,
    help: 'Time from a write to its shipment to a replica (the injected delay as it really happened)',
    labelNames: ['replica'],
    buckets: [0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0],
  }),
  makeCounterProvider({
    name: M.replicationSuccess,
    help: 'Log shipments a replica accepted',
    labelNames: ['replica'],
  }),
  makeCounterProvider({
    name: M.replicationFailure,
    help: 'Log shipments that failed (retried)',
    labelNames: ['replica'],
  }),
  makeGaugeProvider({
    name: M.replicaVersion,
    help: 'Last log sequence number a replica applied',
    labelNames: ['replica_id'],
  }),
  makeGaugeProvider({
    name: M.replicaStaleness,
    help: 'How far a replica is behind the primary in ms (age of its oldest unapplied write), at its last read',
    labelNames: ['replica_id'],
  }),
  makeCounterProvider({ name: M.replicaReceived, help: 'Log entries a replica applied', labelNames: ['replica_id'] }),
  makeHistogramProvider({
    name: M.replicaLag,
    help: 'Time from a write on the primary to its apply on a replica',
    labelNames: ['replica_id'],
    buckets: [0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0],
  }),
  makeCounterProvider({ name: M.replicaReads, help: 'Reads served by a replica', labelNames: ['replica_id'] }),
  makeCounterProvider({
    name: M.replicaStaleReads,
    help: 'Reads a replica served while behind the primary',
    labelNames: ['replica_id'],
  }),
  makeCounterProvider({
    name: M.clientStaleReads,
    help: 'Client reads of a replica behind the primary',
    labelNames: ['source'],
  }),
  makeCounterProvider({
    name: M.clientFreshReads,
    help: 'Client reads of a replica level with the primary',
    labelNames: ['source'],
  }),
  makeGaugeProvider({
    name: M.clientLag,
    help: 'How far a replica is behind the primary in ms, seen by the client',
    labelNames: ['replica'],
  }),
  makeGaugeProvider({
    name: M.clientDivergence,
    help: 'Primary version minus replica version',
    labelNames: ['replica'],
  }),
  makeGaugeProvider({ name: M.clientAllConsistent, help: '1 when every replica is level with the primary' }),
  makeHistogramProvider({
    name: M.clientWindow,
    help: 'Time from a write until every replica had applied it, in ms',
    buckets: [100, 250, 500, 1000, 1500, 2000, 3000, 5000, 10000],
  }),
  makeHistogramProvider({
    name: M.clientPollDuration,
    help: 'Duration of one consistency poll of the primary and replicas',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5],
  }),
  makeCounterProvider({
    name: M.sessionReads,
    help: 'Client session reads by read strategy, who served them and whether they honoured the session',
    labelNames: ['strategy', 'served_by', 'outcome'],
  }),
  makeCounterProvider({
    name: M.readFreshness,
    help: 'Replica reads classified by time since the last write (le, ms) and whether they saw it',
    labelNames: ['replica', 'le', 'outcome'],
  }),
];

/** The lab's metrics in one injectable, with every per-replica series created at 0 so panels show from the start. */
@Injectable()
export class ReplicationMetrics {
  constructor(
    @InjectMetric(M.primaryWrites) readonly primaryWrites: Counter<string>,
    @InjectMetric(M.primaryVersion) readonly primaryVersion: Gauge<string>,
    @InjectMetric(M.replicationDelay) readonly replicationDelay: Histogram<string>,
    @InjectMetric(M.replicationSuccess) readonly replicationSuccess: Counter<string>,
    @InjectMetric(M.replicationFailure) readonly replicationFailure: Counter<string>,
    @InjectMetric(M.replicaVersion) readonly replicaVersion: Gauge<string>,
    @InjectMetric(M.replicaStaleness) readonly replicaStaleness: Gauge<string>,
    @InjectMetric(M.replicaReceived) readonly replicaReceived: Counter<string>,
    @InjectMetric(M.replicaLag) readonly replicaLag: Histogram<string>,
    @InjectMetric(M.replicaReads) readonly replicaReads: Counter<string>,
    @InjectMetric(M.replicaStaleReads) readonly replicaStaleReads: Counter<string>,
    @InjectMetric(M.clientStaleReads) readonly clientStaleReads: Counter<string>,
    @InjectMetric(M.clientFreshReads) readonly clientFreshReads: Counter<string>,
    @InjectMetric(M.clientLag) readonly clientLag: Gauge<string>,
    @InjectMetric(M.clientDivergence) readonly clientDivergence: Gauge<string>,
    @InjectMetric(M.clientAllConsistent) readonly clientAllConsistent: Gauge<string>,
    @InjectMetric(M.clientWindow) readonly clientWindow: Histogram<string>,
    @InjectMetric(M.clientPollDuration) readonly clientPollDuration: Histogram<string>,
    @InjectMetric(M.sessionReads) readonly sessionReads: Counter<string>,
    @InjectMetric(M.readFreshness) readonly readFreshness: Counter<string>,
  ) {
    primaryWrites.inc({ status: 'success' }, 0);
    primaryWrites.inc({ status: 'error' }, 0);
    for (const strategy of READ_STRATEGY_KEYS) {
      for (const outcome of SESSION_READ_OUTCOMES) sessionReads.inc({ strategy, served_by: 'primary', outcome }, 0);
    }
    for (const replica of REPLICA_NAMES) {
      replicationSuccess.inc({ replica }, 0);
      replicationFailure.inc({ replica }, 0);
      replicaReceived.inc({ replica_id: replica }, 0);
      replicaReads.inc({ replica_id: replica }, 0);
      replicaStaleReads.inc({ replica_id: replica }, 0);
      clientStaleReads.inc({ source: replica }, 0);
      clientFreshReads.inc({ source: replica }, 0);
    }
  }
}
