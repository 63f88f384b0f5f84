import { Injectable, OnModuleInit } from '@nestjs/common';
import { DependencyHealthService, DependencyStatus } from '../../../platform/health/dependency-health.service';
import { lsnDiff } from '../domain/lsn';
import { StandbyStatus, StreamingClusterService } from '../persistence/streaming-cluster.service';
import { LAB, REPLICA_NAMES, ReplicationEngineKey } from '../replication.config';
import { ReplicationEngineService } from './replication-engine.service';

/** The names the streaming servers have in the main port's /health (and /health/ready/replication). */
export const STREAMING_DEPENDENCY = {
  primary: 'streaming-primary',
  replica1: 'standby-replica1',
  replica2: 'standby-replica2',
} as const;

/**
 * While postgres-streaming is selected, the streaming primary and each hot standby are dependencies
 * of the lab: the platform's health round asks this check (the cluster's status probe, each server
 * bounded by its probe timeout and cached 1 s), so /health lists them and /health/ready/replication
 * is 503 while one does not answer. A standby that answers but is cut off, has its replay paused or
 * is not streaming is `degraded` (it serves reads, ever staler): the lab stays ready. Under app-log
 * the lab has none of these.
 */
@Injectable()
export class StreamingHealthService implements OnModuleInit {
  constructor(
    private readonly health: DependencyHealthService,
    private readonly engine: ReplicationEngineService,
    private readonly cluster: StreamingClusterService,
  ) {}

  onModuleInit(): void {
    this.health.register({ lab: LAB, check: () => this.check() });
  }

  async check(): Promise<Record<string, DependencyStatus>> {
    // Redis (where the selection lives) is a dependency of its own: while it fails, nothing to add.
    const engine = await this.engine.current().catch(() => undefined);
    if (engine !== ReplicationEngineKey.PostgresStreaming) return {};
    const status = await this.cluster.status();
    const checked_at = status.checked_at;
    const primaryLsn = status.primary.lsn;
    const out: Record<string, DependencyStatus> = {
      [STREAMING_DEPENDENCY.primary]: {
        status: status.primary.up ? 'up' : 'down',
        role: 'primary',
        url: status.primary.url,
        ...(status.primary.error ? { error: status.primary.error } : {}),
        lsn: primaryLsn ?? null,
        checked_at,
      },
    };
    for (const name of REPLICA_NAMES) {
      const standby = status.standbys[name];
      const { status: state, label } = standbyState(standby);
      out[STREAMING_DEPENDENCY[name]] = {
        status: state,
        role: 'standby',
        replica: name,
        state: label,
        url: standby.url,
        ...(standby.error ? { error: standby.error } : {}),
        replay_lag_ms: standby.replay_lag_ms ?? null,
        replay_lsn: standby.replay_lsn ?? null,
        receive_lsn: standby.receive_lsn ?? null,
        // WAL the primary has written that this standby has not replayed yet.
        bytes_behind: primaryLsn && standby.replay_lsn ? Math.max(0, lsnDiff(standby.replay_lsn, primaryLsn)) : null,
        recovery_min_apply_delay_ms: standby.recovery_min_apply_delay_ms ?? null,
        checked_at,
      };
    }
    return out;
  }
}

function standbyState(s: StandbyStatus): { status: DependencyStatus['status']; label: string } {
  if (!s.up) return { status: 'down', label: s.in_recovery === false ? 'not_a_standby' : 'unreachable' };
  if (s.cut_off) return { status: 'degraded', label: 'cut_off' };
  if (s.replay_paused) return { status: 'degraded', label: 'replay_paused' };
  if (s.wal_receiver !== 'streaming') return { status: 'degraded', label: 'not_streaming' };
  return { status: 'up', label: 'streaming' };
}
