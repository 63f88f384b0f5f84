import { Injectable } from '@nestjs/common';
import { RuntimeSettingsService } from '../../../platform/strategy/runtime-settings.service';
import { StrategySelectionService } from '../../../platform/strategy/strategy-selection.service';
import { EMPTY_SESSION, Session, decodeSession, encodeSession, observe } from '../domain/session-token';
import { DEFAULT_READ_SETTINGS, LAB, READ_ROUTING_PORT, ReadSettings } from '../replication.config';
import { ReplicationErrorCode, ReplicationException } from '../replication.errors';
import { ReplicationMetrics } from '../replication.metrics';
import { ReadRoutingPort } from '../strategies/read-routing.port';
import { ClusterGatewayService } from '../persistence/cluster-gateway.service';
import { StalenessReportService } from './staleness-report.service';

/**
 * Client sessions: a write through the primary updates the session token; a read is routed by the
 * read strategy selected right now and judged against the session (did it miss the session's own
 * write? did it go back in time?). Misses are outcomes, counted and returned, not errors.
 */
@Injectable()
export class SessionReadService {
  constructor(
    private readonly cluster: ClusterGatewayService,
    private readonly selection: StrategySelectionService,
    private readonly settings: RuntimeSettingsService,
    private readonly metrics: ReplicationMetrics,
    private readonly staleness: StalenessReportService,
  ) {}

  async write(key: string, value: unknown, token?: string) {
    const session = parseToken(token);
    const write = await this.cluster.write(key, value);
    const next = observe(session, write.epoch, {
      wrote: { version: write.version, at: Math.round(write.write_timestamp * 1000), lsn: write.commit_lsn },
    });
    return { ...write, session: encodeSession(next) };
  }

  async read(key: string, token?: string) {
    const session = parseToken(token);
    const [{ key: strategyKey, strategy }, settings] = await Promise.all([
      this.selection.resolve<ReadRoutingPort>(LAB, READ_ROUTING_PORT),
      this.readSettings(),
    ]);
    const routed = await strategy.read({ key, session, settings });
    if (routed.status === 'unavailable') {
      throw new ReplicationException(
        ReplicationErrorCode.NoReplicaServed,
        `No node could serve the read: ${routed.reason}`,
        'unavailable',
        {
          strategy: strategyKey,
        },
      );
    }
    const sameEpoch = routed.epoch === session.e;
    const missedOwnWrite = sameEpoch && routed.version < session.w;
    const wentBack = sameEpoch && routed.version < session.r;
    const outcome = missedOwnWrite ? 'missed_own_write' : wentBack ? 'non_monotonic' : 'consistent';
    this.metrics.sessionReads.inc({ strategy: strategyKey, served_by: routed.served_by, outcome });
    if (routed.served_by !== 'primary' && sameEpoch && session.w > 0 && routed.waited_ms === 0) {
      this.staleness.record(routed.served_by, Date.now() - session.t, routed.version >= session.w);
    }
    const next = observe(session, routed.epoch, { read: routed.version, readLsn: routed.lsn });
    return {
      key,
      found: routed.found,
      value: routed.value,
      version: routed.version,
      served_by: routed.served_by,
      strategy: strategyKey,
      waited_ms: routed.waited_ms,
      fallback: routed.fallback ?? null,
      session_last_write: session.w,
      missed_own_write: missedOwnWrite,
      monotonic_violation: wentBack,
      ...(routed.lsn ? { lsn: routed.lsn } : {}),
      session: encodeSession(next),
    };
  }

  readSettings(): Promise<ReadSettings> {
    return this.settings.get(LAB, 'read-settings', DEFAULT_READ_SETTINGS);
  }

  async configure(strategy: string | undefined, changes: Partial<ReadSettings>) {
    if (strategy !== undefined) await this.selection.select(LAB, READ_ROUTING_PORT, strategy);
    if (Object.values(changes).some((v) => v !== undefined))
      await this.settings.patch(LAB, 'read-settings', DEFAULT_READ_SETTINGS, changes);
    return this.describe();
  }

  async describe() {
    const [current, settings] = await Promise.all([
      this.selection.current(LAB, READ_ROUTING_PORT),
      this.readSettings(),
    ]);
    return { strategy: current, available: this.selection.keys(LAB, READ_ROUTING_PORT), settings };
  }
}

function parseToken(token: string | undefined): Session {
  if (token === undefined || token === '') return { ...EMPTY_SESSION };
  const session = decodeSession(token);
  if (!session) {
    throw new ReplicationException(
      ReplicationErrorCode.BadSessionToken,
      'session is not a token issued by this client (use the `session` of a previous answer)',
      'invalid',
    );
  }
  return session;
}
