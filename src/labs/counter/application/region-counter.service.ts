import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { NetworkFaultsService } from '../../../platform/faults/network-faults.service';
import { NodeLifecycleService } from '../../../platform/faults/node-lifecycle.service';
import { AppConfig } from '../../../platform/config/app-config';
import { NodeClientService, NodeRef } from '../../../platform/http/node-client.service';
import { withSpan } from '../../../platform/observability/tracing';
import { RuntimeSettingsService } from '../../../platform/strategy/runtime-settings.service';
import {
  COUNTER_DEFAULTS,
  LAB,
  MAX_ENTRY,
  NODE_IDS,
  REGIONS,
  Region,
  SYNC_SETTINGS,
  SyncSettings,
  nodeIdOf,
  serviceOf,
} from '../counter.config';
import { CounterErrorCode, CounterException } from '../counter.errors';
import { CounterMetrics } from '../counter.metrics';
import { GCounter, gNormalize, gValue } from '../crdt/g-counter';
import { PNCounter, pnValue } from '../crdt/pn-counter';
import { COUNTER_NAME_PATTERN, StateRules, parseStoredG, parseStoredPn, validCounters } from '../crdt/state-validation';
import { RawCounters, RegionStateRepository } from '../persistence/region-state.repository';

export interface GCounterState {
  counts: Record<string, GCounter>;
  node_id: string;
  timestamp: number;
  pn_counts: Record<string, PNCounter>;
  /** In a page: the name to ask after for the next page, null when this was the last. */
  next?: string | null;
}

/**
 * A peer's /sync request as this service reads it (validated at the edge by SyncRequestDto, which
 * satisfies it): its state, and which reply it wants (`full`, one `page` after `after`, or `none`).
 */
export interface IncomingSync {
  counts: Record<string, GCounter>;
  node_id: string;
  timestamp: number;
  pn_counts?: Record<string, PNCounter>;
  reply?: 'full' | 'page' | 'none';
  after?: string;
  /** The reset epoch the sender read its state in; a sync from before a reset is refused. */
  epoch?: number;
}

interface Chunk {
  counts: Record<string, GCounter>;
  pn: Record<string, PNCounter>;
  /** The last counter name in the chunk (chunks follow name order). */
  last: string;
}

/** Where an unfinished exchange with a peer stopped: the last name pushed, and the pull cursor (null: pulled all). */
interface Resume {
  pushed: string;
  pullAfter: string | null;
}

const RULES: StateRules = { nodeIds: NODE_IDS, maxEntry: MAX_ENTRY };

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
/** Each region's service lives under its own token: three nodes, one class, no shared state. */
export function regionServiceToken(region: Region): string {
  return `COUNTER_REGION_SERVICE:${region}`;
}

export class RegionCounterService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly nodeId: string;
  readonly service: string;
  private readonly logger: Logger;
  private readonly self: NodeRef;
  private readonly peers: Region[];
  private lastSyncAt: number | null = null;
  private lastAttemptAt = Date.now();
  private timer?: NodeJS.Timeout;
  private syncing = false;
  /** Per peer, where the last round's exchange stopped (a timeout mid-way), so the next one goes on from there. */
  private readonly resume = new Map<Region, Resume>();
  /** The reset epoch of the last round: the resume points are dropped when a reset came in between. */
  private resumeEpoch?: number;
  private readonly chunkBytes: number;

  constructor(
    readonly region: Region,
    private readonly repo: RegionStateRepository,
    private readonly client: NodeClientService,
    private readonly faults: NetworkFaultsService,
    private readonly settings: RuntimeSettingsService,
    private readonly lifecycle: NodeLifecycleService,
    private readonly metrics: CounterMetrics,
    config: AppConfig,
  ) {
    // Every chunk pushed and every page pulled stays well under the peer's body limit, and small
    // enough (about a thousand counters) to be merged well within the per-exchange timeout.
    this.chunkBytes = Math.min(COUNTER_DEFAULTS.syncChunkBytes, Math.floor(config.bodyLimitBytes / 4));
    this.nodeId = nodeIdOf(region);
    this.service = serviceOf(region);
    this.logger = new Logger(`counter:${region}`);
    this.self = { lab: LAB, node: region };
    this.peers = REGIONS.filter((r) => r !== region);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.lifecycle.onCrash(LAB, this.region, () => this.crash());
    this.lifecycle.onRestart(LAB, this.region, () => this.start());
    await this.start();
  }

  onModuleDestroy(): void {
    this.stop();
  }

  health() {
    return { status: 'ok', service: this.service, region: this.region, node_id: this.nodeId };
  }

  async increment(name: string, amount: number, idempotencyKey?: string) {
    const outcome = await this.repo.increment(
      this.region,
      this.nodeId,
      name,
      amount,
      MAX_ENTRY,
      idempotencyKey,
      COUNTER_DEFAULTS.idempotencyTtlSeconds,
    );
    if (outcome.status === 'out_of_range') {
      throw new CounterException(
        CounterErrorCode.OUT_OF_RANGE,
        `${this.nodeId}'s entry of "${name}" is ${outcome.current}; adding ${amount} would pass ${MAX_ENTRY}, the most one region's entry may hold (so that every total stays an exact number, at most 2^53 - 1)`,
        'precondition',
        { counter_name: name, node_id: this.nodeId, current: outcome.current, amount, max_entry: MAX_ENTRY },
      );
    }
    const { record } = outcome;
    const replayed = outcome.status === 'replayed';
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
        this.metrics.syncedCount.set(
          { service: this.service, region: this.region, counter_name: name },
          record.total_count,
        );
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
    const nodes = gNormalize(parseStoredG((await this.repo.read(this.region, name)) ?? {}, RULES) ?? {});
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
    const { counts } = await this.read(await this.repo.names(this.region));
    const counters = Object.fromEntries(
      Object.entries(counts).map(([name, map]) => {
        const nodes = gNormalize(map);
        return [name, { local_count: nodes[this.nodeId] ?? 0, total_count: gValue(nodes), nodes }];
      }),
    );
    return {
      region: this.region,
      node_id: this.nodeId,
      network_partition: await this.partitioned(),
      last_sync_time: this.lastSyncAt === null ? null : this.lastSyncAt / 1000,
      counters,
    };
  }

  /**
   * POST /sync from a peer: merge its state (one chunk of it), answer with ours — all of it (the
   * seed's reply), one page of it, or nothing, as asked. Refused while partitioned.
   */
  async receiveSync(incoming: IncomingSync): Promise<GCounterState> {
    // Inbound: the cut is this node's own, so it holds whichever process the peer runs in.
    if (await this.faults.cuts(this.self, `${LAB}:${this.peerOf(incoming.node_id)}`)) {
      throw new CounterException(
        CounterErrorCode.PARTITIONED,
        'Cannot sync - network partition is active',
        'unavailable',
        {
          region: this.region,
        },
      );
    }
    const differing = await this.mergeState(incoming.counts, incoming.pn_counts ?? {}, incoming.epoch);
    if (differing === 'stale') {
      throw new CounterException(
        CounterErrorCode.SYNC_STALE,
        'Sync refused: the lab is being reset, or was reset after the sender read this state (its epoch is older)',
        'conflict',
        { region: this.region, epoch: incoming.epoch ?? null },
      );
    }
    trace.getActiveSpan()?.setAttributes({
      'sync.from_node': incoming.node_id,
      'sync.counter_count': Object.keys(incoming.counts).length,
      'sync.conflicts_resolved': differing,
      'sync.reply': incoming.reply ?? 'full',
    });
    switch (incoming.reply ?? 'full') {
      case 'full':
        return this.state();
      case 'none':
        return { counts: {}, pn_counts: {}, node_id: this.nodeId, timestamp: Date.now() / 1000, next: null };
      case 'page':
        return this.page(incoming.after ?? '');
    }
  }

  async partitionStatus() {
    return { network_partition: await this.partitioned(), region: this.region, node_id: this.nodeId };
  }

  /**
   * Cuts this region off from its peers (or heals it): the region's own state in Redis
   * (`NetworkFaultsService`), so every process of this region enforces it, and a peer in this
   * process meets the same refusal as a peer in another one.
   */
  async setPartition(enabled: boolean) {
    if (enabled)
      await this.faults.cutOff(
        this.self,
        this.peers.map((peer) => `${LAB}:${peer}`),
      );
    else await this.faults.heal(this.self);
    this.logger.log(`network partition ${enabled ? 'enabled' : 'disabled'}`);
    return {
      ...(await this.partitionStatus()),
      message: enabled
        ? `Network partition enabled: ${this.region} neither sends nor accepts syncs, but keeps counting locally`
        : `Network partition disabled: ${this.region} exchanges state with its peers again`,
    };
  }

  async forceSync() {
    if (await this.partitioned()) {
      this.metrics.syncOps.inc({ service: this.service, region: this.region, status: 'partition' });
      throw new CounterException(
        CounterErrorCode.PARTITIONED,
        'Cannot sync - network partition is active',
        'unavailable',
        {
          region: this.region,
        },
      );
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
    const sign = delta === 'increment' ? 'p' : 'n';
    if (!(await this.repo.pnAdd(this.region, this.nodeId, name, sign, amount, MAX_ENTRY))) {
      throw new CounterException(
        CounterErrorCode.OUT_OF_RANGE,
        `${this.nodeId}'s ${sign === 'p' ? 'increments' : 'decrements'} of PN-Counter "${name}" would pass ${MAX_ENTRY}, the most one entry may hold`,
        'precondition',
        { counter_name: name, node_id: this.nodeId, amount, max_entry: MAX_ENTRY },
      );
    }
    return this.pnCounter(name);
  }

  async pnCounter(name: string) {
    const c = parseStoredPn((await this.repo.pnRead(this.region, name)) ?? {}, RULES) ?? { p: {}, n: {} };
    return {
      counter: name,
      type: 'pn-counter',
      value: pnValue(c),
      p: gNormalize(c.p),
      n: gNormalize(c.n),
      region: this.region,
      node_id: this.nodeId,
    };
  }

  /** This region's whole state (the seed's /sync reply and what a round pushes, in chunks). */
  private async state(): Promise<GCounterState> {
    const { counts, pn } = await this.read(await this.repo.names(this.region));
    return { counts, node_id: this.nodeId, timestamp: Date.now() / 1000, pn_counts: pn };
  }

  /** The counters named after `after`, in name order, as many as fit in one chunk; `next` says where to go on. */
  private async page(after: string): Promise<GCounterState> {
    const names = (await this.repo.names(this.region)).filter((n) => n > after);
    const chunk: Chunk = { counts: {}, pn: {}, last: '' };
    let bytes = ENVELOPE_BYTES;
    let last: string | null = null;
    for (let i = 0; i < names.length; i += COUNTER_DEFAULTS.redisBatch) {
      const { counts, pn } = await this.read(names.slice(i, i + COUNTER_DEFAULTS.redisBatch));
      for (const name of names.slice(i, i + COUNTER_DEFAULTS.redisBatch)) {
        const size = counterBytes(name, counts[name], pn[name]);
        if (last !== null && bytes + size > this.chunkBytes) {
          return {
            counts: chunk.counts,
            pn_counts: chunk.pn,
            node_id: this.nodeId,
            timestamp: Date.now() / 1000,
            next: last,
          };
        }
        if (counts[name]) chunk.counts[name] = counts[name];
        if (pn[name]) chunk.pn[name] = pn[name];
        bytes += size;
        last = name;
      }
    }
    return {
      counts: chunk.counts,
      pn_counts: chunk.pn,
      node_id: this.nodeId,
      timestamp: Date.now() / 1000,
      next: null,
    };
  }

  /** Reads counters from Redis and keeps only entries within the rules (a stored oddity never travels). */
  private async read(
    names: readonly string[],
  ): Promise<{ counts: Record<string, GCounter>; pn: Record<string, PNCounter> }> {
    const raw = await this.repo.readMany(this.region, names, COUNTER_DEFAULTS.redisBatch);
    return {
      counts: parseAll(raw.g, (h) => parseStoredG(h, RULES)),
      pn: parseAll(raw.pn, (h) => parseStoredPn(h, RULES)),
    };
  }

  /** Merges a peer's state read in reset epoch `epoch`; 'stale' (nothing more merged) once a reset runs or ran since. */
  private async mergeState(
    counts: Record<string, GCounter>,
    pn: Record<string, PNCounter>,
    epoch: number | undefined,
  ): Promise<number | 'stale'> {
    const merged = await this.repo.merge(this.region, counts, COUNTER_DEFAULTS.redisBatch, epoch);
    if (
      merged === 'stale' ||
      (await this.repo.pnMerge(this.region, pn, COUNTER_DEFAULTS.redisBatch, epoch)) === 'stale'
    )
      return 'stale';
    let differing = 0;
    for (const [name, { differing: d, total }] of Object.entries(merged)) {
      differing += d;
      if (this.metrics.counterNames.admits(name))
        this.metrics.syncedCount.set({ service: this.service, region: this.region, counter_name: name }, total);
    }
    if (differing > 0) this.metrics.conflicts.inc({ service: this.service, region: this.region }, differing);
    return differing;
  }

  /** This region's state cut into chunks that each fit well under a peer's body limit. */
  private async chunks(): Promise<Chunk[]> {
    const names = await this.repo.names(this.region);
    const { counts, pn } = await this.read(names);
    const chunks: Chunk[] = [{ counts: {}, pn: {}, last: '' }];
    let bytes = ENVELOPE_BYTES;
    for (const name of names) {
      const size = counterBytes(name, counts[name], pn[name]);
      if (size === 0) continue;
      if (bytes + size > this.chunkBytes && bytes > ENVELOPE_BYTES) {
        chunks.push({ counts: {}, pn: {}, last: '' });
        bytes = ENVELOPE_BYTES;
      }
      const chunk = chunks[chunks.length - 1];
      if (counts[name]) chunk.counts[name] = counts[name];
      if (pn[name]) chunk.pn[name] = pn[name];
      chunk.last = name;
      bytes += size;
    }
    return chunks;
  }

  /**
   * One anti-entropy round: with every peer in parallel, push our state chunk by chunk and pull
   * the peer's page by page (each request carries one of each), merging every page as it comes.
   * A peer's reply is checked like a request; a bad counter in it is skipped on its own.
   */
  private async syncWithPeers(): Promise<SyncRound> {
    const started = process.hrtime.bigint();
    // The reset fence: the epoch is read before the state, and every merge of this round (ours and
    // the peers') is refused once a reset has begun since. No round starts while a reset runs.
    const fence = await this.repo.resetFence();
    if (fence.resetting) {
      this.metrics.syncOps.inc({ service: this.service, region: this.region, status: 'reset' });
      return { succeeded: [], failed: [...this.peers] };
    }
    if (this.resumeEpoch !== fence.epoch) this.resume.clear();
    this.resumeEpoch = fence.epoch;
    const chunks = await this.chunks();
    const outcomes = await Promise.all(
      this.peers.map(async (peer) => {
        try {
          await this.exchange(peer, chunks, fence.epoch);
          this.metrics.syncOps.inc({ service: this.service, region: this.region, status: 'success' });
          return { peer, ok: true };
        } catch (err) {
          this.logger.debug(`sync with ${peer} failed: ${(err as Error).message}`);
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
    this.metrics.syncLatency.observe(
      { service: this.service, region: this.region },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
    return { succeeded, failed: outcomes.filter((o) => !o.ok).map((o) => o.peer) };
  }

  /**
   * Pushes the chunks and pulls the pages, one of each per request. Progress is kept after every
   * exchange: when one times out (a busy peer), the next round goes on from there instead of
   * starting over, so a large state gets through however often a single exchange fails.
   */
  private async exchange(peer: Region, chunks: Chunk[], epoch: number): Promise<void> {
    const from = this.resume.get(peer) ?? { pushed: '', pullAfter: '' };
    let after: string | null = from.pullAfter;
    let i =
      from.pushed === ''
        ? 0
        : Math.max(
            0,
            chunks.findIndex((c) => c.last > from.pushed),
          );
    if (from.pushed !== '' && chunks.every((c) => c.last <= from.pushed)) i = chunks.length;
    for (let n = 0; i < chunks.length || after !== null; i += 1, n += 1) {
      if (n >= COUNTER_DEFAULTS.maxExchangesPerRound)
        throw new Error(`more than ${n} exchanges with ${peer}; the rest waits for the next round`);
      const chunk = chunks[i] ?? { counts: {}, pn: {}, last: '' };
      // Outbound: a partition set mid-round cuts the rest of the round too.
      if (await this.faults.cuts(this.self, `${LAB}:${peer}`)) throw new Error(`partitioned from ${peer}`);
      const res = await this.client.call<unknown>(this.self, { lab: LAB, node: peer }, '/sync', {
        method: 'POST',
        body: {
          counts: chunk.counts,
          pn_counts: chunk.pn,
          node_id: this.nodeId,
          timestamp: Date.now() / 1000,
          epoch,
          ...(after === null ? { reply: 'none' } : { reply: 'page', after }),
        },
        timeoutMs: COUNTER_DEFAULTS.syncTimeoutMs,
      });
      if (!res.ok) throw new Error(`${peer} answered ${res.status}`);
      const body = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as Record<string, unknown>;
      const valid = validCounters(body.counts ?? {}, body.pn_counts ?? {}, RULES);
      if (valid.rejected.length > 0) {
        this.logger.warn(
          `${peer} sent ${valid.rejected.length} counter(s) that break the rules (e.g. "${valid.rejected[0]}"); merged the others`,
        );
      }
      if ((await this.mergeState(valid.counts, valid.pn, epoch)) === 'stale')
        throw new Error(`a reset came during the exchange with ${peer}`);
      if (after !== null) {
        // Only a page that moves forward is followed, so a peer cannot keep us paging forever.
        const next = body.next;
        after = typeof next === 'string' && COUNTER_NAME_PATTERN.test(next) && next > after ? next : null;
      }
      this.resume.set(peer, {
        pushed: i < chunks.length && chunk.last !== '' ? chunk.last : (this.resume.get(peer)?.pushed ?? from.pushed),
        pullAfter: after,
      });
    }
    this.resume.delete(peer);
  }

  /**
   * The node starts healed, as the seed's container did (its partition flag began false on every
   * start): a crash and restart, or a new process, clears the partition this node held.
   */
  private async start(): Promise<void> {
    if (this.timer) return;
    this.lastAttemptAt = Date.now();
    this.timer = setInterval(() => void this.tick(), COUNTER_DEFAULTS.syncTickMs);
    this.timer.unref();
    if (await this.faults.heal(this.self))
      this.logger.log('started healed: the partition this node held before its restart is gone');
  }

  private async partitioned(): Promise<boolean> {
    return (await this.faults.partitionOf(this.self)).partitioned;
  }

  /** The region a peer's node id names (`us-west-1` → `us-west`); an unknown id is no region's. */
  private peerOf(nodeId: string): string {
    return REGIONS.find((r) => nodeIdOf(r) === nodeId) ?? nodeId;
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A crashed node loses what it held in memory (last sync time); its counts are in Redis, its partition goes when it starts again. */
  private crash(): void {
    this.stop();
    this.lastSyncAt = null;
    this.resume.clear();
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
      const partitioned = await this.partitioned();
      await withSpan(
        'background_sync',
        { region: this.region, node_id: this.nodeId, partition_active: partitioned },
        async () => {
          if (partitioned) {
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

/** Room kept in every chunk for the envelope (node_id, timestamp, reply, after, next). */
const ENVELOPE_BYTES = 512;

/** Bytes a counter adds to a /sync body: `"name":{...}` in counts and in pn_counts. */
function counterBytes(name: string, g: GCounter | undefined, pn: PNCounter | undefined): number {
  const key = Buffer.byteLength(JSON.stringify(name)) + 2;
  return (g ? key + Buffer.byteLength(JSON.stringify(g)) : 0) + (pn ? key + Buffer.byteLength(JSON.stringify(pn)) : 0);
}

function parseAll<T>(raw: RawCounters, parse: (hash: Record<string, string>) => T | undefined): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [name, hash] of Object.entries(raw)) {
    const value = parse(hash);
    if (value !== undefined) out[name] = value;
  }
  return out;
}
