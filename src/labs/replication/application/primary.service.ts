import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../../../platform/config/app-config';
import { NodeLifecycleService } from '../../../platform/faults/node-lifecycle.service';
import { NodeClientService } from '../../../platform/http/node-client.service';
import { withSpan } from '../../../platform/observability/tracing';
import { ENVELOPE_BYTES, countUnder, entryBytes } from '../domain/replication-log';
import { PrimaryLogRepository } from '../persistence/primary-log.repository';
import { LAB, MAX_LSN, REPLICA_NAMES, REPLICATION_DEFAULTS } from '../replication.config';
import { ReplicationErrorCode, ReplicationException } from '../replication.errors';
import { ReplicationMetrics } from '../replication.metrics';
import { ReplicationDelaysService } from './replication-delays.service';
import { ReplicationEngineService } from './replication-engine.service';
import { StreamingClusterService } from '../persistence/streaming-cluster.service';
import { ReplicationEngineKey } from '../replication.config';
import { ReplicationShipperService } from './replication-shipper.service';

/**
 * The primary's use cases: durable writes that take an LSN and get shipped, reads, lag, reset.
 * Engine app-log: the lab's database, and the shipper sends each entry to each replica after its
 * delay. Engine postgres-streaming: the same tables on the streaming primary, and PostgreSQL's WAL
 * carries every commit to the standbys (nothing to ship); each write also answers its commit LSN.
 */
@Injectable()
export class PrimaryService implements OnApplicationBootstrap {
  private readonly logger = new Logger('ReplicationPrimary');
  private readonly streamingLog: PrimaryLogRepository;

  constructor(
    private readonly appLog: PrimaryLogRepository,
    private readonly delays: ReplicationDelaysService,
    private readonly shipper: ReplicationShipperService,
    private readonly metrics: ReplicationMetrics,
    private readonly nodes: NodeClientService,
    private readonly lifecycle: NodeLifecycleService,
    private readonly config: AppConfig,
    private readonly engine: ReplicationEngineService,
    private readonly streaming: StreamingClusterService,
  ) {
    this.streamingLog = new PrimaryLogRepository(streaming.primary());
  }

  /** The primary's store under the engine in force (503 when postgres-streaming is selected but its servers are not up). */
  private async store(): Promise<{ log: PrimaryLogRepository; streaming: boolean }> {
    const streaming = (await this.engine.active()) === ReplicationEngineKey.PostgresStreaming;
    return { log: streaming ? this.streamingLog : this.appLog, streaming };
  }

  async onApplicationBootstrap(): Promise<void> {
    this.metrics.primaryVersion.set((await this.appLog.head()).version);
    // A crashed primary loses its in-memory send queues, like a dead process.
    this.lifecycle.onCrash(LAB, 'primary', () => this.shipper.clear());
    this.lifecycle.onRestart(LAB, 'primary', () => this.resync());
    // A new primary process has no send queue either: nudge the replicas the same way.
    await this.resync();
  }

  async write(key: string, value: unknown) {
    const writtenAt = Date.now();
    const writeId = randomUUID().slice(0, 8);
    this.assertShippable(key, value, writeId, writtenAt);
    return withSpan('primary-write', { 'write.key': key, 'write.write_id': writeId }, async (span) => {
      let appended;
      let delays;
      let commitLsn: string | undefined;
      try {
        const { streaming } = await this.store();
        if (streaming) {
          // The append commits on its own (one statement); the WAL position read next on the same
          // connection is at or past that commit record: a standby that replayed up to it has the write.
          [appended, commitLsn] = await this.streaming.primary().session(async (session) => {
            const done = await this.streamingLog.append(key, value, writeId, session);
            return [done, await this.streaming.currentLsn(session)] as const;
          });
        } else {
          [delays, appended] = await Promise.all([this.delays.current(), this.appLog.append(key, value, writeId)]);
        }
      } catch (err) {
        this.metrics.primaryWrites.inc({ status: 'error' });
        throw err;
      }
      const { epoch, entry } = appended;
      span.setAttribute('write.version', entry.lsn);
      if (delays) this.shipper.enqueue(epoch, entry, writtenAt, delays);
      else span.setAttribute('write.commit_lsn', commitLsn!);
      this.metrics.primaryWrites.inc({ status: 'success' });
      this.metrics.primaryVersion.set(entry.lsn);
      return {
        version: entry.lsn,
        write_timestamp: entry.write_timestamp,
        write_id: writeId,
        key,
        value,
        replication_started: true,
        epoch,
        ...(commitLsn ? { commit_lsn: commitLsn, engine: ReplicationEngineKey.PostgresStreaming } : {}),
      };
    });
  }

  async data() {
    const { log } = await this.store();
    const [head, data] = await Promise.all([log.head(), log.data()]);
    return {
      source: 'primary',
      data,
      version: head.version,
      write_id: head.write_id,
      write_timestamp: head.write_timestamp,
      data_age_ms: ageMs(head.write_timestamp),
      epoch: head.epoch,
    };
  }

  async key(key: string) {
    const { log, streaming } = await this.store();
    const { row, ...head } = await log.getWithHead(key);
    // Read after the snapshot: at or past every commit the read saw (a session's highest-seen LSN).
    const lsn = streaming ? await this.streaming.currentLsn() : undefined;
    return {
      source: 'primary',
      key,
      found: row !== undefined,
      value: row?.value ?? null,
      key_version: row?.version ?? null,
      version: head.version,
      epoch: head.epoch,
      ...(lsn ? { lsn } : {}),
    };
  }

  /**
   * The head, and, for a replica that says where it is, how far behind it is: in versions, and in
   * ms since the oldest write it has not applied was made (0 when it is level).
   */
  async version(replica?: { version: number; epoch?: number }) {
    const { log } = await this.store();
    const head = await log.head();
    const base = {
      source: 'primary',
      version: head.version,
      write_id: head.write_id,
      write_timestamp: head.write_timestamp,
      epoch: head.epoch,
    };
    if (!replica) return base;
    const from = replica.epoch !== undefined && replica.epoch !== head.epoch ? 0 : replica.version;
    const versionsBehind = Math.max(0, head.version - from);
    const oldestMissing = versionsBehind > 0 ? await log.writtenAt(head.epoch, from + 1) : undefined;
    return {
      ...base,
      versions_behind: versionsBehind,
      ms_behind: oldestMissing === undefined ? 0 : Math.max(0, round2(Date.now() - oldestMissing * 1000)),
    };
  }

  /** A page of the log, cut to fit in one node-to-node body (a catching-up replica asks for the next). */
  async logPage(after: number, limit: number) {
    // The app-log replicas' catch-up source: always the app-log engine's log.
    const head = await this.appLog.head();
    const entries = await this.appLog.entries(head.epoch, after, Math.min(limit, REPLICATION_DEFAULTS.batchLimit));
    const fit = countUnder(entries.map(entryBytes), this.config.bodyLimitBytes, entries.length);
    return { epoch: head.epoch, version: head.version, entries: entries.slice(0, fit) };
  }

  async state() {
    const [data, delays, engine] = await Promise.all([this.data(), this.delays.current(), this.engine.current()]);
    return {
      source: 'primary',
      data: data.data,
      version: data.version,
      write_timestamp: data.write_timestamp,
      write_id: data.write_id,
      replication_delays: this.delays.bySeedUrl(delays),
      replica_urls: Object.keys(this.delays.bySeedUrl(delays)),
      epoch: data.epoch,
      queued_for_shipping: this.shipper.queued(),
      engine,
    };
  }

  /** Clears the data in a new epoch, drops queued shipments, then resets each replica in turn. */
  async reset() {
    const { streaming } = await this.store();
    if (streaming) {
      // The standbys replay the reset like any commit (after their delay); faults are healed.
      const head = await this.streamingLog.reset();
      await this.engine.healAll();
      return {
        status: 'reset',
        version: 0,
        epoch: head.epoch,
        replicas: Object.fromEntries(REPLICA_NAMES.map((r) => [r, 'replays the reset from the WAL'])),
        engine: ReplicationEngineKey.PostgresStreaming,
      };
    }
    const head = await this.appLog.reset();
    this.shipper.clear(head.epoch);
    this.metrics.primaryVersion.set(0);
    const replicas: Record<string, string> = {};
    for (const replica of REPLICA_NAMES) {
      try {
        const res = await this.nodes.call({ lab: LAB, node: 'primary' }, { lab: LAB, node: replica }, '/admin/reset', {
          method: 'POST',
          query: { epoch: head.epoch },
          timeoutMs: 5000,
        });
        replicas[replica] = res.ok ? 'reset' : `failed: HTTP ${res.status}`;
      } catch (err) {
        replicas[replica] = `failed: ${(err as Error).message}`;
        this.logger.warn(
          `reset of ${replica} failed: ${(err as Error).message}; it catches up to the new epoch when it next hears from the primary`,
        );
      }
    }
    return { status: 'reset', version: 0, epoch: head.epoch, replicas };
  }

  /**
   * A write is accepted only if its log entry can travel to a replica in one /replicate body
   * (under BODY_LIMIT, as the replica's parser counts it): an entry that could never be shipped
   * would be accepted, then retried forever, and replication would stop behind it.
   */
  private assertShippable(key: string, value: unknown, writeId: string, writtenAt: number): void {
    const bytes = entryBytes({ lsn: MAX_LSN, key, value, write_id: writeId, write_timestamp: writtenAt / 1000 });
    const limit = this.config.bodyLimitBytes - ENVELOPE_BYTES;
    if (bytes > limit) {
      throw new ReplicationException(
        ReplicationErrorCode.ValueTooLarge,
        `The write's log entry would take ${bytes} bytes; one entry must fit in a replication message of at most ${limit} bytes (BODY_LIMIT minus the envelope)`,
        'too_large',
        { entry_bytes: bytes, limit_bytes: limit },
      );
    }
  }

  /** After a (re)start nothing is queued: nudge each replica with the head entry so it fills any gap from the log. */
  private async resync(): Promise<void> {
    const head = await this.appLog.head();
    if (head.version === 0) return;
    const [entry] = await this.appLog.entries(head.epoch, head.version - 1, 1);
    if (!entry) return;
    const zero = Object.fromEntries(REPLICA_NAMES.map((r) => [r, 0])) as Record<(typeof REPLICA_NAMES)[number], number>;
    this.shipper.enqueue(head.epoch, entry, Date.now(), zero);
  }
}

export function ageMs(writeTimestamp: number | null): number {
  return writeTimestamp === null ? 0 : Math.max(0, round2(Date.now() - writeTimestamp * 1000));
}

export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
