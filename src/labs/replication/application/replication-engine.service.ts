import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  STRATEGY_CHANGED,
  StrategyChangedEvent,
  StrategySelectionService,
} from '../../../platform/strategy/strategy-selection.service';
import { RuntimeSettingsService } from '../../../platform/strategy/runtime-settings.service';
import { StreamingClusterService } from '../persistence/streaming-cluster.service';
import { LAB, REPLICA_NAMES, REPLICATION_ENGINE_PORT, ReplicaName, ReplicationEngineKey } from '../replication.config';
import { ReplicationErrorCode, ReplicationException } from '../replication.errors';
import { ReplicationEnginePort } from '../strategies/replication-engine.port';
import { ReplicationDelaysService } from './replication-delays.service';

/**
 * The engine in force, resolved on every request like any strategy (the selection lives in Redis,
 * so every node process agrees). Selecting postgres-streaming while its servers are not up is
 * refused (409, naming why); if they go away later, requests answer 503 naming why.
 */
@Injectable()
export class ReplicationEngineService {
  private readonly logger = new Logger('Replication:engine');

  constructor(
    private readonly selection: StrategySelectionService,
    private readonly cluster: StreamingClusterService,
    private readonly delays: ReplicationDelaysService,
    private readonly settings: RuntimeSettingsService,
  ) {}

  async current(): Promise<ReplicationEngineKey> {
    return (await this.selection.current(LAB, REPLICATION_ENGINE_PORT)) as ReplicationEngineKey;
  }

  /** The selected engine, ready to serve (streaming: its servers answer and the schema exists), else 503. */
  async active(): Promise<ReplicationEngineKey> {
    const { key, strategy } = await this.selection.resolve<ReplicationEnginePort>(LAB, REPLICATION_ENGINE_PORT);
    if (key === ReplicationEngineKey.AppLog) return key;
    const reason = await strategy.unavailableReason();
    if (reason)
      throw new ReplicationException(ReplicationErrorCode.EngineUnavailable, reason, 'unavailable', { engine: key });
    await this.cluster.ensureSchema();
    return key as ReplicationEngineKey;
  }

  async isStreaming(): Promise<boolean> {
    return (await this.active()) === ReplicationEngineKey.PostgresStreaming;
  }

  /** Switches the engine; postgres-streaming only when its servers are up, then with the lab's current delays on its standbys. */
  async select(key: string) {
    if (key === ReplicationEngineKey.PostgresStreaming) {
      const status = await this.cluster.status();
      if (!status.available) {
        throw new ReplicationException(ReplicationErrorCode.EngineUnavailable, status.reason!, 'conflict', {
          engine: key,
          streaming: status,
        });
      }
      await this.cluster.ensureSchema();
      await this.applyDelays();
    }
    const change = await this.selection.select(LAB, REPLICATION_ENGINE_PORT, key);
    return { status: 'updated', from: change.from, ...(await this.describe()) };
  }

  async describe() {
    const [engine, streaming] = await Promise.all([this.current(), this.cluster.status()]);
    return { engine, available: this.selection.keys(LAB, REPLICATION_ENGINE_PORT), streaming };
  }

  /** Puts the lab's delays (Redis) on the standbys as recovery_min_apply_delay. */
  async applyDelays(only?: Partial<Record<ReplicaName, number>>): Promise<void> {
    const delays = only ?? (await this.delays.current());
    await Promise.all(
      REPLICA_NAMES.filter((r) => delays[r] !== undefined).map((r) => this.cluster.setApplyDelay(r, delays[r]!)),
    );
  }

  /** Fault: pause or resume WAL replay on one standby. */
  async replay(replica: ReplicaName, action: 'pause' | 'resume') {
    await this.requireStreaming(`${action} WAL replay`);
    await (action === 'pause' ? this.cluster.pauseReplay(replica) : this.cluster.resumeReplay(replica));
    return { status: action === 'pause' ? 'replay_paused' : 'replay_resumed', replica };
  }

  /** Fault: cut one standby off its primary (its WAL receiver stops), or heal it. */
  async link(replica: ReplicaName, action: 'cut' | 'heal') {
    await this.requireStreaming(action === 'cut' ? 'cut a standby off' : 'heal a standby');
    if (action === 'cut') {
      const conninfo = await this.cluster.cutOff(replica);
      // Kept in Redis so any process (or a later one) can heal it with what it had.
      if (conninfo !== '')
        await this.settings.patch(LAB, 'standby-conninfo', {} as Record<string, string>, { [replica]: conninfo });
      return { status: 'cut_off', replica };
    }
    const saved = await this.settings.get(LAB, 'standby-conninfo', {} as Record<string, string>);
    await this.cluster.reconnect(replica, saved[replica]);
    return { status: 'healed', replica };
  }

  /** Lab reset in streaming mode: standbys replaying and connected again. */
  async healAll(): Promise<void> {
    const status = await this.cluster.status();
    for (const replica of REPLICA_NAMES) {
      const standby = status.standbys[replica];
      if (!standby.up) continue;
      if (standby.replay_paused) await this.cluster.resumeReplay(replica);
      if (standby.cut_off) await this.link(replica, 'heal');
    }
  }

  /** Selected through the generic /admin/labs/replication/strategies/replication-engine too: the standbys get the delays. */
  @OnEvent(STRATEGY_CHANGED)
  onChanged(event: StrategyChangedEvent): void {
    if (
      event.lab !== LAB ||
      event.port !== REPLICATION_ENGINE_PORT ||
      event.to !== ReplicationEngineKey.PostgresStreaming
    )
      return;
    this.applyDelays().catch((err: Error) =>
      this.logger.warn(`could not put the delays on the standbys: ${err.message}`),
    );
  }

  private async requireStreaming(what: string): Promise<void> {
    if (!(await this.isStreaming())) {
      throw new ReplicationException(
        ReplicationErrorCode.WrongEngine,
        `Only the postgres-streaming engine has standbys to ${what}; the app-log engine is selected (POST /admin/replication-engine {"engine":"postgres-streaming"} on the primary)`,
        'conflict',
        { engine: ReplicationEngineKey.AppLog },
      );
    }
  }
}
