import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NodeLifecycleService } from '../../../platform/faults/node-lifecycle.service';
import { NodeClientService } from '../../../platform/http/node-client.service';
import { validateReply } from '../../../platform/http/validation';
import { withSpan } from '../../../platform/observability/tracing';
import { LogPageDto, PrimaryLagReplyDto } from './primary-replies.dto';
import { LogEntry, planApply } from '../domain/replication-log';
import { ReplicaSnapshot, ReplicaStoreRepository } from '../persistence/replica-store.repository';
import { LAB, ReplicaName, REPLICATION_DEFAULTS } from '../replication.config';
import { ReplicationErrorCode, ReplicationException } from '../replication.errors';
import { ReplicationMetrics } from '../replication.metrics';
import { ageMs, round2 } from './primary.service';
import { Lsn, reachedLsn } from '../domain/lsn';
import { STREAMING_LIMITS, StreamingClusterService } from '../persistence/streaming-cluster.service';
import { ReplicationEngineService } from './replication-engine.service';

export const replicaNodeToken = (replica: ReplicaName) => `REPLICATION_REPLICA_NODE_${replica}`;

export interface Lag {
  primary_version: number;
  versions_behind: number;
  ms_behind: number;
}

interface Waiter {
  min: number;
  done: (reached: boolean) => void;
}

/** What a read waits for: a version of the lab's log, and (postgres-streaming) a WAL position replayed. */
export interface WaitTarget {
  minVersion?: number;
  minLsn?: Lsn;
}

interface StandbyWaiter extends WaitTarget {
  done: (reached: boolean) => void;
}

/** One read of the replica, under either engine; `standby` only under postgres-streaming. */
export interface ReplicaRead {
  state: ReplicaSnapshot & { replication_delay_ms: number | null };
  key?: { found: boolean; value: unknown };
  standby?: { replay_lsn: Lsn | null; replay_timestamp: number | null };
}

/**
 * One replica. Engine app-log: its applied position and data live in its own rows in PostgreSQL
 * (its "disk"), with an in-memory copy for reads; a crash drops the copy, a restart reloads it and
 * catches up from the primary's log. Applies run one at a time, in LSN order, and the version never
 * goes down. Engine postgres-streaming: it reads its own hot standby, whose position is whatever
 * PostgreSQL has replayed (never going down either: WAL replay only moves forward).
 */
export class ReplicaNodeService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger: Logger;
  private state?: ReplicaSnapshot;
  private chain: Promise<unknown> = Promise.resolve();
  private generation = 0;
  private waiters = new Set<Waiter>();
  private lastDelayMs: number | null = null;
  private catchUpTimer?: NodeJS.Timeout;
  private stopped = false;
  private down = false;
  private readonly standbyWaiters = new Set<StandbyWaiter>();
  private polling = false;

  constructor(
    readonly name: ReplicaName,
    private readonly store: ReplicaStoreRepository,
    private readonly nodes: NodeClientService,
    private readonly lifecycle: NodeLifecycleService,
    private readonly metrics: ReplicationMetrics,
    private readonly engine: ReplicationEngineService,
    private readonly streaming: StreamingClusterService,
  ) {
    this.logger = new Logger(`Replication:${name}`);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.lifecycle.onCrash(LAB, this.name, () => this.crash());
    this.lifecycle.onRestart(LAB, this.name, () => this.start());
    await this.start();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.catchUpTimer);
  }

  /**
   * The replica as it is now (loaded from its store on first use after a start): a snapshot, data
   * included. Readers await other things (the primary's lag probe) before answering; sharing the
   * live map would let an apply land in between and pair a newer value with the older version.
   */
  async view(): Promise<ReplicaSnapshot & { replication_delay_ms: number | null }> {
    const state = await this.loaded();
    return { ...state, data: new Map(state.data), replication_delay_ms: this.lastDelayMs };
  }

  /**
   * One read under the engine in force: the app-log replica's snapshot, or what its standby has
   * replayed (one statement: head and key from one snapshot, the replay LSN measured after it).
   */
  async read(want: { key?: string; data?: boolean } = {}): Promise<ReplicaRead> {
    if (this.down)
      throw new ReplicationException(ReplicationErrorCode.NodeNotReady, `${this.name} is down`, 'unavailable');
    if (await this.engine.isStreaming()) {
      const r = await this.streaming.standbyRead(this.name, want);
      this.metrics.replicaVersion.set({ replica_id: this.name }, r.version);
      const { epoch, version, write_id, write_timestamp } = r;
      const data = new Map(Object.entries(r.data ?? {}));
      return {
        state: {
          epoch,
          version,
          write_id,
          write_timestamp,
          replicated_at: r.replay_timestamp,
          data,
          replication_delay_ms: null,
        },
        key: r.key,
        standby: { replay_lsn: r.replay_lsn, replay_timestamp: r.replay_timestamp },
      };
    }
    const state = await this.view();
    return {
      state,
      key:
        want.key === undefined
          ? undefined
          : { found: state.data.has(want.key), value: state.data.get(want.key) ?? null },
    };
  }

  /** Entries shipped by the primary. */
  receive(epoch: number, delayMs: number | undefined, entries: LogEntry[]) {
    if (delayMs !== undefined) this.lastDelayMs = delayMs;
    return withSpan(
      'replica-replicate',
      {
        'replica.id': this.name,
        'replication.version': entries.at(-1)?.lsn ?? 0,
        'replication.delay_ms': delayMs ?? 0,
      },
      () =>
        this.serial(async () => {
          const current = await this.loaded();
          const before = current.version;
          // A newer epoch wipes the replica: only the primary can say it is real.
          if (epoch > current.epoch) await this.confirmEpoch(epoch);
          // An older one is ignored; a replica somehow ahead of its primary realigns by catching up.
          if (epoch < current.epoch) this.scheduleCatchUp(0);
          const ignored = await this.applyWithGapFill(epoch, entries);
          const state = await this.loaded();
          // A hole wider than one log page is left to a background catch-up.
          if (state.epoch === epoch && state.version < (entries.at(-1)?.lsn ?? 0)) this.scheduleCatchUp(0);
          return {
            status: 'replicated',
            replica_id: this.name,
            version: state.version,
            replicated_at: state.replicated_at ?? 0,
            applied: Math.max(0, state.version - before),
            ignored,
          };
        }),
    );
  }

  /**
   * Resolves true once the replica has applied `minVersion` (and, under postgres-streaming, its
   * standby has replayed `minLsn`), false after `waitMs`. min_lsn means nothing to the app-log engine.
   */
  async waitFor(target: WaitTarget, waitMs: number): Promise<boolean> {
    if (this.down)
      throw new ReplicationException(ReplicationErrorCode.NodeNotReady, `${this.name} is down`, 'unavailable');
    if (await this.engine.isStreaming()) return this.waitForStandby(target, waitMs);
    if (target.minVersion === undefined) return true;
    const min = target.minVersion;
    if ((await this.loaded()).version >= min) return true;
    if (waitMs <= 0) return false;
    if (this.waiters.size >= REPLICATION_DEFAULTS.maxWaiters) {
      throw new ReplicationException(
        ReplicationErrorCode.TooManyWaiters,
        `${this.name} already holds ${this.waiters.size} long-poll reads (the cap); retry without wait_ms or later`,
        'unavailable',
        { max_waiters: REPLICATION_DEFAULTS.maxWaiters },
      );
    }
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        min,
        done: (reached) => (clearTimeout(timer), this.waiters.delete(waiter), resolve(reached)),
      };
      const timer = setTimeout(() => (this.waiters.delete(waiter), resolve(false)), waitMs).unref();
      this.waiters.add(waiter);
    });
  }

  /**
   * Waits on the standby's replay position. One poll loop per standby (every replayPollMs, while
   * anyone waits) serves every waiter, so a thousand waiting reads cost one query per tick.
   */
  private async waitForStandby(target: WaitTarget, waitMs: number): Promise<boolean> {
    const reached = (r: { version: number; replay_lsn: Lsn | null }) =>
      (target.minVersion === undefined || r.version >= target.minVersion) && reachedLsn(r.replay_lsn, target.minLsn);
    if (target.minVersion === undefined && target.minLsn === undefined) return true;
    if (reached(await this.streaming.standbyRead(this.name))) return true;
    if (waitMs <= 0) return false;
    if (this.standbyWaiters.size >= REPLICATION_DEFAULTS.maxWaiters) {
      throw new ReplicationException(
        ReplicationErrorCode.TooManyWaiters,
        `${this.name} already holds ${this.standbyWaiters.size} long-poll reads (the cap); retry without wait_ms or later`,
        'unavailable',
        { max_waiters: REPLICATION_DEFAULTS.maxWaiters },
      );
    }
    return new Promise<boolean>((resolve) => {
      const waiter: StandbyWaiter = {
        ...target,
        done: (ok) => (clearTimeout(timer), this.standbyWaiters.delete(waiter), resolve(ok)),
      };
      const timer = setTimeout(() => waiter.done(false), waitMs).unref();
      this.standbyWaiters.add(waiter);
      void this.pollStandby();
    });
  }

  private async pollStandby(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      while (this.standbyWaiters.size > 0 && !this.stopped && !this.down) {
        try {
          const r = await this.streaming.standbyRead(this.name);
          for (const w of [...this.standbyWaiters]) {
            if ((w.minVersion === undefined || r.version >= w.minVersion) && reachedLsn(r.replay_lsn, w.minLsn))
              w.done(true);
          }
        } catch (err) {
          // A standby that does not answer: the waiters run into their own timeouts.
          this.logger.debug(`standby poll failed: ${(err as Error).message}`);
          await sleep(100);
        }
        if (this.standbyWaiters.size > 0) await sleep(STREAMING_LIMITS.replayPollMs);
      }
    } finally {
      this.polling = false;
    }
  }

  /** How far behind the primary this replica is, asked of the primary; null when it cannot be reached. */
  async lag(version?: { version: number; epoch: number }): Promise<Lag | null> {
    const state = version ?? (await this.loaded());
    try {
      const res = await this.nodes.call({ lab: LAB, node: this.name }, { lab: LAB, node: 'primary' }, '/version', {
        query: { replica_version: state.version, replica_epoch: state.epoch },
        timeoutMs: REPLICATION_DEFAULTS.lagProbeTimeoutMs,
      });
      if (!res.ok) return null;
      const reply = validateReply(PrimaryLagReplyDto, res.body, 'replication:primary');
      if (reply.versions_behind === undefined || reply.ms_behind === undefined) return null;
      return { primary_version: reply.version, versions_behind: reply.versions_behind, ms_behind: reply.ms_behind };
    } catch {
      return null;
    }
  }

  /**
   * Empties the replica. With an epoch (the primary's reset sends its new one) only once the
   * primary confirms that epoch, so a forged one cannot wipe the replica or park it in an epoch
   * the primary never ships. Afterwards it catches up from the primary's log as after a crash.
   */
  async reset(epoch?: number) {
    return this.serial(async () => {
      const state = await this.loaded();
      const next = epoch ?? state.epoch;
      if (next !== state.epoch) await this.confirmEpoch(next);
      await this.adoptEpoch(next);
      this.scheduleCatchUp(0);
      return { status: 'reset', replica_id: this.name, version: 0, epoch: next };
    });
  }

  /** Pulls everything after its position from the primary's log, page by page. */
  async catchUp(): Promise<void> {
    await this.serial(async () => {
      for (;;) {
        const state = await this.loaded();
        const page = await this.fetchLog(state.version);
        // The primary's epoch is the truth: follow it, whether it moved on (reset) or this replica is ahead.
        if (page.epoch !== state.epoch) {
          await this.adoptEpoch(page.epoch);
          continue;
        }
        const before = state.version;
        await this.applyEntries(page.epoch, page.entries);
        const after = (await this.loaded()).version;
        if (page.entries.length === 0 || after === before || after >= page.version) return;
      }
    });
  }

  /** Asks the primary for its epoch: a message claiming another one is refused (409) and changes nothing. */
  private async confirmEpoch(epoch: number): Promise<void> {
    let primaryEpoch: number;
    try {
      const res = await this.nodes.call({ lab: LAB, node: this.name }, { lab: LAB, node: 'primary' }, '/version', {
        timeoutMs: REPLICATION_DEFAULTS.clientTimeoutMs,
      });
      if (!res.ok) throw new Error(`primary answered ${res.status}`);
      primaryEpoch = validateReply(PrimaryLagReplyDto, res.body, 'replication:primary').epoch;
    } catch (err) {
      throw new ReplicationException(
        ReplicationErrorCode.PrimaryUnavailable,
        `${this.name} cannot confirm epoch ${epoch} with the primary: ${(err as Error).message}`,
        'unavailable',
      );
    }
    if (primaryEpoch !== epoch) {
      throw new ReplicationException(
        ReplicationErrorCode.EpochNotConfirmed,
        `Epoch ${epoch} is not the primary's (it is at epoch ${primaryEpoch}); nothing changed on ${this.name}`,
        'conflict',
        { epoch, primary_epoch: primaryEpoch },
      );
    }
  }

  /** Empties the replica at version 0 of `epoch` (its rows, then its in-memory copy). */
  private async adoptEpoch(epoch: number): Promise<void> {
    const generation = this.generation;
    await this.store.reset(this.name, epoch);
    if (generation !== this.generation) return;
    this.state = { epoch, version: 0, write_id: null, write_timestamp: null, replicated_at: null, data: new Map() };
    this.metrics.replicaVersion.set({ replica_id: this.name }, 0);
  }

  private async start(): Promise<void> {
    this.down = false;
    this.generation++;
    this.state = undefined;
    await this.loaded();
    this.scheduleCatchUp(0);
  }

  private crash(): void {
    this.down = true;
    this.generation++;
    this.state = undefined;
    clearTimeout(this.catchUpTimer);
    for (const waiter of [...this.waiters]) waiter.done(false);
    for (const waiter of [...this.standbyWaiters]) waiter.done(false);
  }

  /** Retries until the primary answers (at boot it may not be listening yet). */
  private scheduleCatchUp(afterMs: number): void {
    clearTimeout(this.catchUpTimer);
    const generation = this.generation;
    this.catchUpTimer = setTimeout(() => {
      if (this.stopped || generation !== this.generation || this.down) return;
      this.catchUp().catch((err: Error) => {
        this.logger.debug(`catch-up failed: ${err.message}; retrying`);
        this.scheduleCatchUp(1000);
      });
    }, afterMs).unref();
  }

  private async loaded(): Promise<ReplicaSnapshot> {
    if (this.state) return this.state;
    if (this.down) {
      throw new ReplicationException(ReplicationErrorCode.NodeNotReady, `${this.name} is down`, 'unavailable');
    }
    const generation = this.generation;
    const loaded = await this.store.load(this.name);
    if (generation === this.generation && !this.state) {
      this.state = loaded;
      this.metrics.replicaVersion.set({ replica_id: this.name }, loaded.version);
    }
    return this.state ?? loaded;
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Applies what can be applied; a hole before the entries is filled from the primary's log first. */
  private async applyWithGapFill(epoch: number, entries: LogEntry[]): Promise<number> {
    const state = await this.loaded();
    const plan = planApply(state, epoch, entries);
    if (!plan.missing) return (await this.applyEntries(epoch, entries)).ignored;
    const base = plan.resetToEpoch !== undefined ? 0 : state.version;
    const page = await this.fetchLog(base, plan.missing.upTo);
    const all = page.epoch === epoch ? [...page.entries, ...entries] : entries;
    return (await this.applyEntries(epoch, all)).ignored;
  }

  private async applyEntries(epoch: number, entries: LogEntry[]): Promise<{ ignored: number }> {
    const generation = this.generation;
    const state = await this.loaded();
    const plan = planApply(state, epoch, entries);
    if (plan.resetToEpoch !== undefined) {
      await this.store.reset(this.name, plan.resetToEpoch);
      if (generation !== this.generation) return { ignored: plan.ignored };
      Object.assign(state, {
        epoch: plan.resetToEpoch,
        version: 0,
        write_id: null,
        write_timestamp: null,
        replicated_at: null,
        data: new Map(),
      });
    }
    if (plan.apply.length === 0) return { ignored: plan.ignored };
    const now = Date.now() / 1000;
    const applied = await this.store.apply(this.name, state.epoch, plan.apply, now);
    if (generation !== this.generation) return { ignored: plan.ignored };
    for (const e of plan.apply.slice(0, applied)) {
      state.data.set(e.key, e.value);
      state.version = e.lsn;
      state.write_id = e.write_id;
      state.write_timestamp = e.write_timestamp;
      state.replicated_at = now;
      this.metrics.replicaLag.observe({ replica_id: this.name }, Math.max(0, now - e.write_timestamp));
    }
    this.metrics.replicaReceived.inc({ replica_id: this.name }, applied);
    this.metrics.replicaVersion.set({ replica_id: this.name }, state.version);
    for (const waiter of [...this.waiters]) if (state.version >= waiter.min) waiter.done(true);
    return { ignored: plan.ignored };
  }

  private async fetchLog(
    after: number,
    upTo?: number,
  ): Promise<{ epoch: number; version: number; entries: LogEntry[] }> {
    const res = await this.nodes.call({ lab: LAB, node: this.name }, { lab: LAB, node: 'primary' }, '/log', {
      query: { after, limit: Math.min(REPLICATION_DEFAULTS.batchLimit, upTo === undefined ? Infinity : upTo - after) },
      timeoutMs: 5000,
    });
    if (!res.ok) throw new Error(`primary /log answered ${res.status}`);
    // Validated like a /replicate body before anything of it is applied.
    return validateReply(LogPageDto, res.body, 'replication:primary');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Response fields every replica read shares: the seed's, plus honest lag. Under postgres-streaming
 * also the standby's replay position: `replay_lsn` (pg_last_wal_replay_lsn(), read after the
 * snapshot), `replay_timestamp` (commit time of the last replayed transaction,
 * pg_last_xact_replay_timestamp()) and `replay_lag_ms` (now minus that, while the standby is behind;
 * 0 when it is level).
 */
export function replicaReadFields(
  name: ReplicaName,
  state: ReplicaSnapshot,
  lag: Lag | null,
  standby?: ReplicaRead['standby'],
) {
  const streaming = standby
    ? {
        engine: 'postgres-streaming' as const,
        replay_lsn: standby.replay_lsn,
        replay_timestamp: standby.replay_timestamp,
        replay_lag_ms: !lag
          ? null
          : lag.versions_behind === 0
            ? 0
            : standby.replay_timestamp === null
              ? lag.ms_behind
              : Math.max(0, round2(Date.now() - standby.replay_timestamp * 1000)),
      }
    : {};
  return {
    source: name,
    version: state.version,
    write_id: state.write_id,
    write_timestamp: state.write_timestamp,
    data_age_ms: ageMs(state.write_timestamp),
    versions_behind: lag?.versions_behind ?? null,
    ms_behind: lag ? round2(lag.ms_behind) : null,
    primary_version: lag?.primary_version ?? null,
    epoch: state.epoch,
    ...streaming,
  };
}
