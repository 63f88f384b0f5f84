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

/**
 * One replica. Its applied position and data live in its own rows in PostgreSQL (its "disk"), with
 * an in-memory copy for reads; a crash drops the copy, a restart reloads it and catches up from the
 * primary's log. Applies run one at a time, in LSN order, and the version never goes down.
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

  constructor(
    readonly name: ReplicaName,
    private readonly store: ReplicaStoreRepository,
    private readonly nodes: NodeClientService,
    private readonly lifecycle: NodeLifecycleService,
    private readonly metrics: ReplicationMetrics,
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

  /** Entries shipped by the primary. */
  receive(epoch: number, delayMs: number | undefined, entries: LogEntry[]) {
    if (delayMs !== undefined) this.lastDelayMs = delayMs;
    return withSpan(
      'replica-replicate',
      { 'replica.id': this.name, 'replication.version': entries.at(-1)?.lsn ?? 0, 'replication.delay_ms': delayMs ?? 0 },
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

  /** Resolves true once the replica has applied `min`, false after `waitMs`. */
  async waitFor(min: number, waitMs: number): Promise<boolean> {
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
      const waiter: Waiter = { min, done: (reached) => (clearTimeout(timer), this.waiters.delete(waiter), resolve(reached)) };
      const timer = setTimeout(() => (this.waiters.delete(waiter), resolve(false)), waitMs).unref();
      this.waiters.add(waiter);
    });
  }

  /** How far behind the primary this replica is, asked of the primary; null when it cannot be reached. */
  async lag(): Promise<Lag | null> {
    const state = await this.loaded();
    try {
      const res = await this.nodes.call(
        { lab: LAB, node: this.name },
        { lab: LAB, node: 'primary' },
        '/version',
        { query: { replica_version: state.version, replica_epoch: state.epoch }, timeoutMs: REPLICATION_DEFAULTS.lagProbeTimeoutMs },
      );
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
      Object.assign(state, { epoch: plan.resetToEpoch, version: 0, write_id: null, write_timestamp: null, replicated_at: null, data: new Map() });
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

  private async fetchLog(after: number, upTo?: number): Promise<{ epoch: number; version: number; entries: LogEntry[] }> {
    const res = await this.nodes.call(
      { lab: LAB, node: this.name },
      { lab: LAB, node: 'primary' },
      '/log',
      { query: { after, limit: Math.min(REPLICATION_DEFAULTS.batchLimit, upTo === undefined ? Infinity : upTo - after) }, timeoutMs: 5000 },
    );
    if (!res.ok) throw new Error(`primary /log answered ${res.status}`);
    // Validated like a /replicate body before anything of it is applied.
    return validateReply(LogPageDto, res.body, 'replication:primary');
  }
}

/** Response fields every replica read shares: the seed's, plus honest lag. */
export function replicaReadFields(name: ReplicaName, state: ReplicaSnapshot, lag: Lag | null) {
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
  };
}
