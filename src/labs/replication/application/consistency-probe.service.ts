import { Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { withSpan } from '../../../platform/observability/tracing';
import { REPLICA_NAMES, REPLICA_SEED, ReplicaName, REPLICATION_DEFAULTS } from '../replication.config';
import { ReplicationMetrics } from '../replication.metrics';
import { ClusterGatewayService, errorMessage } from '../persistence/cluster-gateway.service';
import { round2 } from './primary.service';
import { StalenessReportService } from './staleness-report.service';

/** The seed client's probes: write then read at once, write then wait for every replica, compare. */
@Injectable()
export class ConsistencyProbeService {
  constructor(
    private readonly cluster: ClusterGatewayService,
    private readonly metrics: ReplicationMetrics,
    private readonly staleness: StalenessReportService,
  ) {}

  async writeAndRead(key: string, value: unknown) {
    return withSpan('client-write-and-read', {}, async (span) => {
      const started = performance.now();
      const write = await this.cluster.write(key, value);
      span.setAttribute('write.version', write.version);
      const reads = await Promise.all(
        REPLICA_NAMES.map(async (replica) => {
          try {
            const r = await this.cluster.replicaVersion(replica);
            const fresh = r.version >= write.version && r.epoch === write.epoch;
            this.count(replica, fresh);
            this.staleness.record(replica, Date.now() - write.write_timestamp * 1000, fresh);
            return [
              REPLICA_SEED[replica].hostname,
              {
                version: r.version,
                has_new_data: fresh,
                data_age_ms: r.data_age_ms,
                versions_behind: r.versions_behind,
                ms_behind: r.ms_behind,
              },
            ] as const;
          } catch (err) {
            return [REPLICA_SEED[replica].hostname, { error: errorMessage(err) }] as const;
          }
        }),
      );
      const immediate = Object.fromEntries(reads);
      const stale = reads.filter(([, r]) => 'has_new_data' in r && !r.has_new_data).length;
      return {
        write_result: write,
        immediate_reads: immediate,
        stale_read_count: stale,
        total_replicas: reads.length,
        elapsed_ms: round2(performance.now() - started),
        note: 'Replicas apply writes after their replication delay, so reads right after a write are expected to be stale.',
      };
    });
  }

  /**
   * Writes, then long-polls each replica (`/version?min_version=`): a replica answers the moment it
   * applies the write, so the measured time is not rounded up to any poll interval.
   */
  async writeAndWait(key: string, value: unknown, timeoutMs: number) {
    return withSpan('client-write-and-wait', {}, async (span) => {
      const started = performance.now();
      const write = await this.cluster.write(key, value);
      span.setAttribute('write.version', write.version);
      const deadline = started + timeoutMs;
      // postgres-streaming: each standby is held until it replayed the write's commit LSN.
      const results = await Promise.all(
        REPLICA_NAMES.map((replica) =>
          this.waitFor(replica, write.version, write.epoch, started, deadline, write.commit_lsn),
        ),
      );
      const finalVersions = Object.fromEntries(
        REPLICA_NAMES.map((r, i) => [REPLICA_SEED[r].hostname, results[i].version]),
      );
      const attempts = Math.max(...results.map((r) => r.attempts));
      if (results.every((r) => r.reachedMs !== undefined)) {
        const time = round2(Math.max(...results.map((r) => r.reachedMs!)));
        span.setAttribute('consistency.time_ms', time);
        this.metrics.clientWindow.observe(time);
        return {
          write_result: write,
          consistency_achieved: true,
          consistency_time_ms: time,
          attempts,
          final_versions: finalVersions,
          replica_times_ms: Object.fromEntries(
            REPLICA_NAMES.map((r, i) => [REPLICA_SEED[r].hostname, round2(results[i].reachedMs!)]),
          ),
          // The visibility window as the replica saw it: from the primary's write timestamp to the
          // moment the replica had it (applied, or replayed by its standby), free of the client's own
          // HTTP round trips. null when the replica already had it before it was asked.
          replica_windows_ms: Object.fromEntries(
            REPLICA_NAMES.map((r, i) => {
              const at = results[i].reachedAtMs;
              return [
                REPLICA_SEED[r].hostname,
                at === undefined || results[i].attempts === 0 ? null : round2(at - write.write_timestamp * 1000),
              ];
            }),
          ),
        };
      }
      return {
        write_result: write,
        consistency_achieved: false,
        timeout_ms: timeoutMs,
        attempts,
        final_versions: finalVersions,
        note: `Not every replica applied version ${write.version} within ${timeoutMs} ms.`,
      };
    });
  }

  async readCompare() {
    return withSpan('client-read-compare', {}, async (span) => {
      const [primary, ...replicas] = await Promise.all([
        this.cluster.primaryData().catch((err: unknown) => ({ error: errorMessage(err) })),
        ...REPLICA_NAMES.map((r) =>
          this.cluster.replicaData(r).catch((err: unknown) => ({ error: errorMessage(err) })),
        ),
      ]);
      const primaryVersion = 'version' in primary ? primary.version : null;
      const stale: Array<{ name: string; version: number; behind_by: number }> = [];
      const consistent: string[] = [];
      REPLICA_NAMES.forEach((r, i) => {
        const replica = replicas[i];
        if (!('version' in replica) || primaryVersion === null) return;
        if (replica.version >= primaryVersion) consistent.push(REPLICA_SEED[r].hostname);
        else
          stale.push({
            name: REPLICA_SEED[r].hostname,
            version: replica.version,
            behind_by: primaryVersion - replica.version,
          });
      });
      span.setAttributes({ stale_replica_count: stale.length, consistent_replica_count: consistent.length });
      return {
        primary,
        replicas: Object.fromEntries(REPLICA_NAMES.map((r, i) => [REPLICA_SEED[r].hostname, replicas[i]])),
        analysis: {
          primary_version: primaryVersion,
          stale_replicas: stale,
          consistent_replicas: consistent,
          all_consistent: primaryVersion !== null && stale.length === 0 && consistent.length === REPLICA_NAMES.length,
        },
      };
    });
  }

  private count(replica: ReplicaName, fresh: boolean): void {
    (fresh ? this.metrics.clientFreshReads : this.metrics.clientStaleReads).inc({ source: replica });
  }

  private async waitFor(
    replica: ReplicaName,
    version: number,
    epoch: number,
    started: number,
    deadline: number,
    commitLsn?: string,
  ) {
    let attempts = 0;
    let last = -1;
    do {
      attempts++;
      const remaining = Math.max(0, Math.floor(deadline - performance.now()));
      try {
        const r = await this.cluster.replicaVersion(replica, {
          minVersion: version,
          minLsn: commitLsn,
          waitMs: Math.min(remaining, REPLICATION_DEFAULTS.longPollMs),
        });
        last = r.version;
        if (r.version >= version && r.epoch === epoch)
          return { attempts, version: r.version, reachedMs: performance.now() - started, reachedAtMs: r.reached_at_ms };
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } while (performance.now() < deadline);
    return { attempts, version: last, reachedMs: undefined, reachedAtMs: undefined };
  }
}
