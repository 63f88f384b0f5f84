import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../../platform/config/app-config';
import { NodeClientService } from '../../../platform/http/node-client.service';
import { withSpan } from '../../../platform/observability/tracing';
import { LogEntry, countUnder, entryBytes } from '../domain/replication-log';
import { LAB, REPLICA_NAMES, ReplicaName, REPLICATION_DEFAULTS } from '../replication.config';
import { ReplicationMetrics } from '../replication.metrics';
import { Delays } from './replication-delays.service';

interface Pending {
  entry: LogEntry;
  /** Epoch ms when the write started on the primary. */
  writtenAt: number;
  delayMs: number;
  dueAt: number;
  bytes: number;
}

interface Queue {
  pending: Pending[];
  lastDueAt: number;
  timer?: NodeJS.Timeout;
  sending: boolean;
  /** Entries of the batch on the wire (out of `pending` until it succeeds or goes back). */
  inFlight: number;
}

/**
 * Ships the primary's log to each replica over HTTP, one ordered stream per replica (a WAL sender).
 * Each entry is due at its write time + the replica's delay at that moment, on a timer set for that
 * exact instant (no coarse ticks); entries never overtake one another in a stream, so lowering a
 * delay cannot reorder them. Everything due is sent in one batch; a failed batch is retried, and
 * the replica ignores what it already has. A batch never exceeds the replica's BODY_LIMIT: what
 * is due beyond it goes in the next batch, at once.
 */
@Injectable()
export class ReplicationShipperService implements OnApplicationShutdown {
  private readonly logger = new Logger('ReplicationShipper');
  private readonly queues = new Map<ReplicaName, Queue>(
    REPLICA_NAMES.map((r) => [r, { pending: [], lastDueAt: 0, sending: false, inFlight: 0 }]),
  );
  private epoch = 0;

  constructor(
    private readonly nodes: NodeClientService,
    private readonly metrics: ReplicationMetrics,
    private readonly config: AppConfig,
  ) {}

  enqueue(epoch: number, entry: LogEntry, writtenAt: number, delays: Delays): void {
    if (epoch !== this.epoch) this.clear(epoch);
    const bytes = entryBytes(entry);
    for (const replica of REPLICA_NAMES) {
      const queue = this.queues.get(replica)!;
      const dueAt = Math.max(writtenAt + delays[replica], queue.lastDueAt);
      queue.lastDueAt = dueAt;
      const item: Pending = { entry, writtenAt, delayMs: delays[replica], dueAt, bytes };
      let i = queue.pending.length;
      while (i > 0 && queue.pending[i - 1].entry.lsn > entry.lsn) i--;
      queue.pending.splice(i, 0, item);
      this.arm(replica);
    }
  }

  /** Drops everything queued (reset, or the primary "process" died) and starts a new epoch. */
  clear(epoch = this.epoch): void {
    this.epoch = epoch;
    for (const queue of this.queues.values()) {
      clearTimeout(queue.timer);
      queue.timer = undefined;
      queue.pending = [];
      queue.lastDueAt = 0;
    }
  }

  /** Entries not yet acknowledged by each replica, the batch in flight included. */
  queued(): Record<ReplicaName, number> {
    return Object.fromEntries(
      REPLICA_NAMES.map((r) => [r, this.queues.get(r)!.pending.length + this.queues.get(r)!.inFlight]),
    ) as Record<ReplicaName, number>;
  }

  onApplicationShutdown(): void {
    this.clear();
  }

  private arm(replica: ReplicaName, atLeastMs = 0): void {
    const queue = this.queues.get(replica)!;
    if (queue.sending || queue.pending.length === 0) return;
    clearTimeout(queue.timer);
    const wait = Math.max(atLeastMs, queue.pending[0].dueAt - Date.now());
    queue.timer = setTimeout(() => void this.flush(replica), Math.max(0, wait)).unref();
  }

  private async flush(replica: ReplicaName): Promise<void> {
    const queue = this.queues.get(replica)!;
    queue.timer = undefined;
    const now = Date.now();
    let due = 0;
    while (due < queue.pending.length && due < REPLICATION_DEFAULTS.batchLimit && queue.pending[due].dueAt <= now + 1)
      due++;
    if (due === 0) return this.arm(replica);
    // A backlog of large values leaves in several batches, each under the replica's body limit.
    const n = countUnder(
      queue.pending.slice(0, due).map((p) => p.bytes),
      this.config.bodyLimitBytes,
      due,
    );
    const batch = queue.pending.splice(0, n);
    const epoch = this.epoch;
    const last = batch[batch.length - 1];
    queue.sending = true;
    queue.inFlight = n;
    let retry = false;
    try {
      await withSpan(
        `replicate-to-${replica}`,
        {
          'replica.url': this.config.nodeUrl(LAB, replica),
          'replica.delay_ms': last.delayMs,
          'data.version': last.entry.lsn,
          'replication.batch_size': n,
        },
        async () => {
          const res = await this.nodes.call({ lab: LAB, node: 'primary' }, { lab: LAB, node: replica }, '/replicate', {
            method: 'POST',
            body: { epoch, delay_ms: last.delayMs, entries: batch.map((p) => p.entry) },
            timeoutMs: 10_000,
          });
          if (!res.ok) throw new Error(`replica answered ${res.status}`);
        },
      );
      const sentAt = Date.now();
      for (const p of batch) this.metrics.replicationDelay.observe({ replica }, (sentAt - p.writtenAt) / 1000);
      this.metrics.replicationSuccess.inc({ replica }, n);
    } catch (err) {
      this.metrics.replicationFailure.inc({ replica }, n);
      this.logger.debug(`shipping to ${replica} failed (${(err as Error).message}); retrying`);
      if (epoch === this.epoch) {
        queue.pending.unshift(...batch);
        retry = true;
      }
    } finally {
      queue.sending = false;
      queue.inFlight = 0;
    }
    this.arm(replica, retry ? REPLICATION_DEFAULTS.shipRetryMs : 0);
  }
}
