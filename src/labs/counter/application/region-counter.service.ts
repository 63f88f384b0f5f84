import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { NetworkFaultsService } from '../../../platform/faults/network-faults.service';
import { NodeLifecycleService } from '../../../platform/faults/node-lifecycle.service';
import { NodeClientService, NodeRef } from '../../../platform/http/node-client.service';
import { withSpan } from '../../../platform/observability/tracing';
import { RuntimeSettingsService } from '../../../platform/strategy/runtime-settings.service';
import { SyncRequestDto } from '../api/dto/sync.request.dto';
import { COUNTER_DEFAULTS, LAB, REGIONS, Region, SYNC_SETTINGS, SyncSettings, nodeIdOf, serviceOf } from '../counter.config';
import { CounterErrorCode, CounterException } from '../counter.errors';
import { CounterMetrics } from '../counter.metrics';
import { GCounter, gNormalize, gValue } from '../crdt/g-counter';
import { PNCounter, emptyPNCounter, pnValue } from '../crdt/pn-counter';
import { RegionStateRepository } from '../persistence/region-state.repository';

export interface GCounterState {
  counts: Record<string, GCounter>;
  node_id: string;
  timestamp: number;
  pn_counts: Record<string, PNCounter>;
}

export interface SyncRound {
  succeeded: Region[];
  failed: Region[];
}

/**
 * One region's counter node: applies local increments to its own G-Counter entry, and keeps the
 * region's replicas converging by push-pull anti-entropy with every peer over HTTP. A partition
 * cuts this region off from its peers only (clients and the coordinator still reach it): it keeps
 * counting locally and refuses to exchange state until healed — so divergence lasts exactly as
 * long as the partition.
 */
export class RegionCounterService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly nodeId: string;
  readonly service: string;
  private readonly logger: Logger;
  private readonly self: NodeRef;
  private readonly peers: Region[];
  private partitioned = false;
  private lastSyncAt: number | null = null;
  private lastAttemptAt = Date.now();
  private timer?: NodeJS.Timeout;
  private syncing = false;

  constructor(
    readonly region: Region,
    private readonly repo: RegionStateRepository,
    private readonly client: NodeClientService,
    private readonly faults: NetworkFaultsService,
    private readonly settings: RuntimeSettingsService,
    private readonly lifecycle: NodeLifecycleService,
    private readonly metrics: CounterMetrics,
  ) {
    this.nodeId = nodeIdOf(region);
    this.service = serviceOf(region);
    this.logger = new Logger(`counter:${region}`);
    this.self = { lab: LAB, node: region };
    this.peers = REGIONS.filter((r) => r !== region);
  }

  onApplicationBootstrap(): void {
    this.lifecycle.onCrash(LAB, this.region, () => this.crash());
    this.lifecycle.onRestart(LAB, this.region, () => this.start());
    this.start();
  }

  onModuleDestroy(): void {
    this.stop();
  }

  health() {
    return { status: 'ok', service: this.service, region: this.region, node_id: this.nodeId };
  }

  async increment(name: string, amount: number, idempotencyKey?: string) {
    const { record, replayed } = await this.repo.increment(
      this.region,
      this.nodeId,
      name,
      amount,
      idempotencyKey,
      COUNTER_DEFAULTS.idempotencyTtlSeconds,
    );
    if (replayed) {
      if (record.counter !== name || record.amount !== amount) {
        throw new CounterException(
          CounterErrorCode.IDEMPOTENCY_KEY_REUSED,
          `idempotency_key "${idempotencyKey}" was already used for ${record.amount} on "${record.counter}"`,
          'conflict',
          { first: { counter_name: record.counter, amount: record.amount } },
        );
      }
      this.metrics.idempotentReplays.inc({ region: this.region });
    } else {
      const label = this.metrics.counterNames.of(name);
      this.metrics.increments.inc({ service: this.service, region: this.region, counter_name: label }, amount);
      if (label === name) {
        this.metrics.localCount.set(
          { service: this.service, region: this.region, node_id: this.nodeId, counter_name: name },
          record.local_count,
        );
        this.metrics.syncedCount.set({ service: this.service, region: this.region, counter_name: name }, record.total_count);
      }
    }
    trace.getActiveSpan()?.setAttributes({
      'counter.name': name,
      'counter.amount': amount,
      region: this.region,
      'counter.local_count': record.local_count,
      'counter.total_count': record.total_count,
      'counter.idempotent_replay': replayed,
    });
    return {
      counter: name,
      local_count: record.local_count,
      total_count: record.total_count,
      node_id: this.nodeId,
      region: this.region,
      ...(idempotencyKey ? { idempotency_key: idempotencyKey, replayed } : {}),
    };
  }

  /** A read never creates the counter: an unknown name reads as zero. */
  async counter(name: string) {
    const nodes = gNormalize((await this.repo.read(this.region, name)) ?? {});
    return {
      counter: name,
      local_count: nodes[this.nodeId] ?? 0,
      total_count: gValue(nodes),
      nodes,
      region: this.region,
      node_id: this.nodeId,
    };
  }

  async counters() {
    const snapshot = await this.repo.snapshot(this.region);
    const counters = Object.fromEntries(
      Object.entries(snapshot).map(([name, map]) => {
        const nodes = gNormalize(map);
        return [name, { local_count: nodes[this.nodeId] ?? 0, total_count: gValue(nodes), nodes }];
      }),
    );
    return {
      region: this.region,
      node_id: this.nodeId,
      network_partition: this.partitioned,
      last_sync_time: this.lastSyncAt === null ? null : this.lastSyncAt / 1000,
      counters,
    };
  }

  /** POST /sync from a peer: merge its state, answer with ours (push-pull). Refused while partitioned. */
  async receiveSync(incoming: SyncRequestDto): Promise<GCounterState> {
    if (this.partitioned) {
      throw new CounterException(CounterErrorCode.PARTITIONED, 'Cannot sync - network partition is active', 'unavailable', {
        region: this.region,
      });
    }
    const differing = await this.mergeState(incoming.counts, incoming.pn_counts ?? {});
    trace.getActiveSpan()?.setAttributes({
      'sync.from_node': incoming.node_id,
      'sync.counter_count': Object.keys(incoming.counts).length,
      'sync.conflicts_resolved': differing,
    });
    return this.state();
  }

  partitionStatus() {
    return { network_partition: this.partitioned, region: this.region, node_id: this.nodeId };
  }

  setPartition(enabled: boolean) {
    this.partitioned = enabled;
    const me = `${LAB}:${this.region}`;
    if (enabled) for (const peer of this.peers) this.faults.cut(me, `${LAB}:${peer}`);
    else this.faults.heal(me);
    this.logger.log(`network partition ${enabled ? 'enabled' : 'disabled'}`);
    return {
      ...this.partitionStatus(),
      message: enabled
        ? `Network partition enabled: ${this.region} neither sends nor accepts syncs, but keeps counting locally`
        : `Network partition disabled: ${this.region} exchanges state with its peers again`,
    };
  }

  async forceSync() {
    if (this.partitioned) {
      this.metrics.syncOps.inc({ service: this.service, region: this.region, status: 'partition' });
      throw new CounterException(CounterErrorCode.PARTITIONED, 'Cannot sync - network partition is active', 'unavailable', {
        region: this.region,
      });
    }
    const round = await this.syncWithPeers();
    return {
      status: 'sync_completed',
      region: this.region,
      node_id: this.nodeId,
      peers_synced: round.succeeded,
      peers_failed: round.failed,
      counters: (await this.counters()).counters,
    };
  }

  async pnAdd(name: string, delta: 'increment' | 'decrement', amount: number) {
    await this.repo.pnAdd(this.region, this.nodeId, name, delta === 'increment' ? 'p' : 'n', amount);
    return this.pnCounter(name);
  }

  async pnCounter(name: string) {
    const c = (await this.repo.pnRead(this.region, name)) ?? emptyPNCounter;
    return { counter: name, type: 'pn-counter', value: pnValue(c), p: gNormalize(c.p), n: gNormalize(c.n), region: this.region, node_id: this.nodeId };
  }

  private async state(): Promise<GCounterState> {
    const [counts, pn] = await Promise.all([this.repo.snapshot(this.region), this.repo.pnSnapshot(this.region)]);
    return { counts, node_id: this.nodeId, timestamp: Date.now() / 1000, pn_counts: pn };
  }

  private async mergeState(counts: Record<string, GCounter>, pn: Record<string, PNCounter>): Promise<number> {
    const merged = await this.repo.merge(this.region, counts);
    await this.repo.pnMerge(this.region, pn);
    let differing = 0;
    for (const [name, { differing: d, total }] of Object.entries(merged)) {
      differing += d;
      if (this.metrics.counterNames.admits(name)) this.metrics.syncedCount.set({ service: this.service, region: this.region, counter_name: name }, total);
    }
    if (differing > 0) this.metrics.conflicts.inc({ service: this.service, region: this.region }, differing);
    return differing;
  }

  /** One anti-entropy round: push our state to every peer in parallel, merge what each answers. */
  private async syncWithPeers(): Promise<SyncRound> {
    const started = process.hrtime.bigint();
    const state = await this.state();
    const outcomes = await Promise.all(
      this.peers.map(async (peer) => {
        try {
          const res = await this.client.call<GCounterState>(this.self, { lab: LAB, node: peer }, '/sync', {
            method: 'POST',
            body: state,
            timeoutMs: COUNTER_DEFAULTS.syncTimeoutMs,
          });
          if (!res.ok || !isState(res.body)) throw new Error(`${peer} answered ${res.status}`);
          await this.mergeState(res.body.counts, res.body.pn_counts ?? {});
          this.metrics.syncOps.inc({ service: this.service, region: this.region, status: 'success' });
          return { peer, ok: true };
        } catch {
          this.metrics.syncOps.inc({ service: this.service, region: this.region, status: 'error' });
          return { peer, ok: false };
        }
      }),
    );
    const succeeded = outcomes.filter((o) => o.ok).map((o) => o.peer);
    if (succeeded.length > 0) {
      this.lastSyncAt = Date.now();
      this.metrics.syncLag.set({ service: this.service, region: this.region }, 0);
    }
    this.metrics.syncLatency.observe({ service: this.service, region: this.region }, Number(process.hrtime.bigint() - started) / 1e9);
    return { succeeded, failed: outcomes.filter((o) => !o.ok).map((o) => o.peer) };
  }

  private start(): void {
    if (this.timer) return;
    this.lastAttemptAt = Date.now();
    this.timer = setInterval(() => void this.tick(), COUNTER_DEFAULTS.syncTickMs);
    this.timer.unref();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A crashed node loses what it held in memory (partition flag, last sync time); its counts are in Redis. */
  private crash(): void {
    this.stop();
    this.partitioned = false;
    this.faults.heal(`${LAB}:${this.region}`);
    this.lastSyncAt = null;
  }

  private async tick(): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    try {
      const { interval_ms } = await this.settings.get<SyncSettings>(LAB, SYNC_SETTINGS, {
        interval_ms: COUNTER_DEFAULTS.syncIntervalMs,
      });
      const since = this.lastSyncAt ?? this.lastAttemptAt;
      this.metrics.syncLag.set({ service: this.service, region: this.region }, Date.now() - since);
      if (Date.now() - this.lastAttemptAt < interval_ms) return;
      this.lastAttemptAt = Date.now();
      await withSpan(
        'background_sync',
        { region: this.region, node_id: this.nodeId, partition_active: this.partitioned },
        async () => {
          if (this.partitioned) {
            this.metrics.syncOps.inc({ service: this.service, region: this.region, status: 'partition' });
            return;
          }
          await this.syncWithPeers();
        },
      );
    } catch (err) {
      this.logger.warn(`background sync failed: ${(err as Error).message}`);
    } finally {
      this.syncing = false;
    }
  }
}

function isState(body: unknown): body is GCounterState {
  const b = body as GCounterState | undefined;
  return typeof b === 'object' && b !== null && typeof b.counts === 'object' && b.counts !== null;
}
