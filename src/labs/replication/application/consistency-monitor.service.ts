import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NodeLifecycleService } from '../../../platform/faults/node-lifecycle.service';
import { withSpan } from '../../../platform/observability/tracing';
import { LAB, REPLICA_NAMES, ReplicaName, REPLICATION_DEFAULTS } from '../replication.config';
import { ReplicationMetrics } from '../replication.metrics';
import { ClusterGatewayService, NodeVersion } from '../persistence/cluster-gateway.service';
import { StalenessReportService } from './staleness-report.service';

interface ReplicaStatus {
  replica_id: ReplicaName;
  version: number | null;
  is_consistent: boolean;
  version_behind: number | null;
  ms_behind: number | null;
  data_age_ms: number | null;
  error?: string;
}

/**
 * The client's background monitor (seed POLL_INTERVAL_MS = 500): polls the primary and replicas,
 * keeps /status and the divergence gauges, and feeds the staleness report. The consistency window
 * is timed per primary version from its write timestamp, so continuous writes do not reset it.
 */
@Injectable()
export class ConsistencyMonitorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ReplicationMonitor');
  private timer?: NodeJS.Timeout;
  private polling = false;
  private status = {
    primary_version: 0,
    primary_write_id: null as string | null,
    all_consistent: true,
    replicas: [] as ReplicaStatus[],
    last_poll_time: 0,
    waiting_for_consistency: false,
  };
  /** Primary versions seen and not yet on every replica, with their write time (epoch seconds). */
  private pending: Array<{ epoch: number; version: number; writtenAt: number }> = [];
  /** The last primary version put on `pending`, so each version is timed once. */
  private tracked = { epoch: -1, version: 0 };

  constructor(
    private readonly cluster: ClusterGatewayService,
    private readonly metrics: ReplicationMetrics,
    private readonly staleness: StalenessReportService,
    private readonly lifecycle: NodeLifecycleService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.poll(), REPLICATION_DEFAULTS.pollIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  current() {
    return { ...this.status, replicas: this.status.replicas.map((r) => ({ ...r })) };
  }

  async poll(): Promise<void> {
    if (this.polling || this.lifecycle.isDown(LAB, 'client')) return;
    this.polling = true;
    const end = this.metrics.clientPollDuration.startTimer();
    try {
      await withSpan('poll-consistency', {}, async (span) => {
        const primary = await this.cluster.primaryVersion();
        const replicas = await Promise.all(
          REPLICA_NAMES.map((r) => this.cluster.replicaVersion(r).catch((err: Error) => err)),
        );
        const now = Date.now();
        this.track(primary);
        const statuses = REPLICA_NAMES.map((replica, i) => this.replicaStatus(replica, replicas[i], primary, now));
        const reachable = replicas.filter((r): r is NodeVersion => !(r instanceof Error));
        this.settle(reachable, now);
        const allConsistent = statuses.every((s) => s.is_consistent);
        this.metrics.clientAllConsistent.set(allConsistent ? 1 : 0);
        this.status = {
          primary_version: primary.version,
          primary_write_id: primary.write_id,
          all_consistent: allConsistent,
          replicas: statuses,
          last_poll_time: now / 1000,
          waiting_for_consistency: this.pending.length > 0,
        };
        span.setAttributes({
          'consistency.all_consistent': allConsistent,
          'consistency.primary_version': primary.version,
        });
      });
    } catch (err) {
      this.logger.debug(`poll failed: ${(err as Error).message}`);
    } finally {
      end();
      this.polling = false;
    }
  }

  private replicaStatus(
    replica: ReplicaName,
    r: NodeVersion | Error,
    primary: NodeVersion,
    now: number,
  ): ReplicaStatus {
    if (r instanceof Error) {
      return {
        replica_id: replica,
        version: null,
        is_consistent: false,
        version_behind: null,
        ms_behind: null,
        data_age_ms: null,
        error: r.message,
      };
    }
    const sameEpoch = r.epoch === primary.epoch;
    const behind = sameEpoch ? Math.max(0, primary.version - r.version) : primary.version;
    const consistent = behind === 0;
    (consistent ? this.metrics.clientFreshReads : this.metrics.clientStaleReads).inc({ source: replica });
    this.metrics.clientDivergence.set({ replica }, behind);
    const msBehind = r.ms_behind ?? null;
    if (msBehind !== null) this.metrics.clientLag.set({ replica }, msBehind);
    if (primary.version > 0 && primary.write_timestamp !== null) {
      this.staleness.record(replica, now - primary.write_timestamp * 1000, consistent);
    }
    return {
      replica_id: replica,
      version: r.version,
      is_consistent: consistent,
      version_behind: behind,
      ms_behind: msBehind,
      data_age_ms: r.data_age_ms,
    };
  }

  private track(primary: NodeVersion): void {
    if (this.tracked.epoch !== primary.epoch) {
      this.pending = [];
      this.tracked = { epoch: primary.epoch, version: 0 };
    }
    if (primary.version > this.tracked.version && primary.write_timestamp !== null) {
      this.tracked.version = primary.version;
      this.pending.push({ epoch: primary.epoch, version: primary.version, writtenAt: primary.write_timestamp });
    }
  }

  /** A version is consistent once every replica has it; the window ends at the last replica's apply time. */
  private settle(replicas: NodeVersion[], now: number): void {
    if (replicas.length < REPLICA_NAMES.length) return;
    const lowest = Math.min(...replicas.map((r) => r.version));
    const appliedAt = Math.min(now / 1000, Math.max(...replicas.map((r) => r.replicated_at ?? now / 1000)));
    while (this.pending.length > 0 && this.pending[0].version <= lowest) {
      const done = this.pending.shift()!;
      this.metrics.clientWindow.observe(Math.max(0, (appliedAt - done.writtenAt) * 1000));
    }
  }
}
