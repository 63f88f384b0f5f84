import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { AppConfig } from '../../../platform/config/app-config';
import { LabDatabase, SqlExecutor } from '../../../platform/database/lab-database';
import { withTimeout } from '../../../platform/redis/redis.service';
import { Lsn } from '../domain/lsn';
import { LAB, REPLICA_NAMES, ReplicaName } from '../replication.config';

/**
 * Bounds of every call to the streaming trio: few connections per server, and a short
 * statement_timeout (nothing here is long: reads, ALTER SYSTEM, a reload, a replay pause).
 */
export const STREAMING_LIMITS = {
  primaryPoolSize: 6,
  standbyPoolSize: 4,
  connectTimeoutMs: 2000,
  statementTimeoutMs: 5000,
  /** /health and engine selection probe the trio at most this often, each probe bounded by probeTimeoutMs. */
  statusCacheMs: 1000,
  probeTimeoutMs: 1500,
  /** A standby is polled this often while someone waits for it to replay a version or an LSN. */
  replayPollMs: 5,
  /** After a reload, how long ALTER SYSTEM waits to see the new recovery_min_apply_delay in force. */
  settingApplyMs: 3000,
} as const;

export type StreamingNode = 'primary' | ReplicaName;

export interface StandbyStatus {
  up: boolean;
  error?: string;
  in_recovery?: boolean;
  receive_lsn?: Lsn | null;
  replay_lsn?: Lsn | null;
  /** Commit time (epoch s) of the last transaction replayed. */
  replay_timestamp?: number | null;
  replay_paused?: boolean;
  /** The WAL receiver's state (`streaming`, ...), null when it is stopped (cut off). */
  wal_receiver?: string | null;
  recovery_min_apply_delay_ms?: number;
  cut_off?: boolean;
  /** From the primary's pg_stat_replication: replay lag of this standby, ms (null when it is not connected). */
  replay_lag_ms?: number | null;
}

export interface StreamingStatus {
  available: boolean;
  reason?: string;
  primary: { up: boolean; url: string; error?: string; lsn?: Lsn };
  standbys: Record<ReplicaName, StandbyStatus & { url: string }>;
  checked_at: string;
}

/** What a standby has replayed, read in one statement: its copy of the head and (optionally) one key. */
export interface StandbyRead {
  epoch: number;
  version: number;
  write_id: string | null;
  write_timestamp: number | null;
  /** Replay position measured after the statement's snapshot: an upper bound of what it saw. */
  replay_lsn: Lsn | null;
  replay_timestamp: number | null;
  key?: { found: boolean; value: unknown };
  data?: Record<string, unknown>;
}

/** The lab's schema on the streaming primary: the same head, log and data tables as the app-log primary's (the standbys get them by WAL). */
const PRIMARY_SCHEMA = [
  `CREATE SCHEMA IF NOT EXISTS replication`,
  `CREATE TABLE IF NOT EXISTS replication.primary_head (
     id smallint PRIMARY KEY CHECK (id = 1), epoch integer NOT NULL, version bigint NOT NULL,
     write_id text, write_timestamp double precision)`,
  `INSERT INTO replication.primary_head (id, epoch, version) VALUES (1, 1, 0) ON CONFLICT (id) DO NOTHING`,
  `CREATE TABLE IF NOT EXISTS replication.log (
     epoch integer NOT NULL, lsn bigint NOT NULL, key text NOT NULL, value jsonb NOT NULL,
     write_id text NOT NULL, write_timestamp double precision NOT NULL, PRIMARY KEY (epoch, lsn))`,
  `CREATE TABLE IF NOT EXISTS replication.primary_data (key text PRIMARY KEY, value jsonb NOT NULL, version bigint NOT NULL)`,
];

interface HeadRow {
  epoch: number;
  version: string;
  write_id: string | null;
  write_timestamp: number | null;
  replay_lsn: string | null;
  replay_ts: number | null;
}

/**
 * The postgres-streaming engine's PostgreSQL: a primary and two hot standbys of its own (started by
 * `npm run infra`, ports 5433–5435), each reached through a small pool of its own. Every statement
 * carries statement_timeout and a client-side query timeout, and every failure leaves as a
 * DatabaseException (503 when a server is down), so a stopped standby costs at most a bounded wait.
 */
@Injectable()
export class StreamingClusterService implements OnApplicationShutdown {
  private readonly logger = new Logger('Replication:streaming');
  private readonly dbs = new Map<StreamingNode, LabDatabase>();
  private schema?: Promise<void>;
  private cached?: { at: number; status: Promise<StreamingStatus> };

  constructor(private readonly config: AppConfig) {}

  url(node: StreamingNode): string {
    const env = this.config.env;
    return node === 'primary'
      ? env.PG_STREAMING_PRIMARY_URL
      : node === 'replica1'
        ? env.PG_STREAMING_REPLICA1_URL
        : env.PG_STREAMING_REPLICA2_URL;
  }

  /** The streaming primary's executor (the tables exist once `ensureSchema` resolved). */
  primary(): LabDatabase {
    return this.db('primary');
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.dbs.values()].map((db) => db.end().catch(() => undefined)));
  }

  /** Creates the lab's tables on the streaming primary once per process (again after a failure). */
  ensureSchema(): Promise<void> {
    this.schema ??= (async () => {
      for (const sql of PRIMARY_SCHEMA) await this.primary().execute(sql);
    })().catch((err: unknown) => {
      this.schema = undefined;
      throw err;
    });
    return this.schema;
  }

  /** The primary's current WAL position, read after whatever the caller just committed on `db`. */
  async currentLsn(db: SqlExecutor = this.primary()): Promise<Lsn> {
    const [row] = await db.query<{ lsn: string }>(`SELECT pg_current_wal_lsn()::text AS lsn`);
    return row.lsn;
  }

  /**
   * What a standby has replayed, and one key of it (or all its data). One statement = one snapshot:
   * the head and the key agree. pg_last_wal_replay_lsn() is evaluated after that snapshot was taken,
   * so it is an upper bound of what the snapshot holds — the safe value for a session's
   * highest-seen position (a later read that waits for it sees at least as much).
   */
  async standbyRead(replica: ReplicaName, want: { key?: string; data?: boolean } = {}): Promise<StandbyRead> {
    const db = this.db(replica);
    try {
      if (want.key !== undefined) {
        const [r] = await db.query<HeadRow & { value: unknown; key_version: string | null }>(
          `SELECT h.epoch, h.version, h.write_id, h.write_timestamp, d.value, d.version AS key_version,
                  pg_last_wal_replay_lsn()::text AS replay_lsn,
                  extract(epoch FROM pg_last_xact_replay_timestamp())::float8 AS replay_ts
             FROM replication.primary_head h LEFT JOIN replication.primary_data d ON d.key = $1
            WHERE h.id = 1`,
          [want.key],
        );
        return { ...head(r), key: { found: r.key_version !== null, value: r.key_version === null ? null : r.value } };
      }
      if (want.data) {
        const [r] = await db.query<HeadRow & { data: Record<string, unknown> }>(
          `SELECT h.epoch, h.version, h.write_id, h.write_timestamp,
                  coalesce((SELECT jsonb_object_agg(key, value) FROM replication.primary_data), '{}'::jsonb) AS data,
                  pg_last_wal_replay_lsn()::text AS replay_lsn,
                  extract(epoch FROM pg_last_xact_replay_timestamp())::float8 AS replay_ts
             FROM replication.primary_head h WHERE h.id = 1`,
        );
        return { ...head(r), data: r.data };
      }
      const [r] = await db.query<HeadRow>(
        `SELECT h.epoch, h.version, h.write_id, h.write_timestamp,
                pg_last_wal_replay_lsn()::text AS replay_lsn,
                extract(epoch FROM pg_last_xact_replay_timestamp())::float8 AS replay_ts
           FROM replication.primary_head h WHERE h.id = 1`,
      );
      return head(r);
    } catch (err) {
      // Before the standby has replayed the CREATE TABLEs it holds nothing: version 0, empty.
      if ((err as { code?: string }).code === '42P01') {
        return {
          epoch: 1,
          version: 0,
          write_id: null,
          write_timestamp: null,
          replay_lsn: null,
          replay_timestamp: null,
          key: { found: false, value: null },
          data: {},
        };
      }
      throw err;
    }
  }

  /**
   * recovery_min_apply_delay: the standby receives WAL at once but replays a commit record only
   * this long after the primary committed it. ALTER SYSTEM writes postgresql.auto.conf and
   * pg_reload_conf() makes every process read it; the startup process recomputes its wait with the
   * new value, so the change also applies to commits already waiting. Returns once it is in force.
   */
  async setApplyDelay(replica: ReplicaName, delayMs: number): Promise<void> {
    if (!Number.isSafeInteger(delayMs) || delayMs < 0)
      throw new Error(`delay must be a non-negative integer, got ${delayMs}`);
    const db = this.db(replica);
    // ALTER SYSTEM takes no bind parameters: the value is a checked integer.
    await db.execute(`ALTER SYSTEM SET recovery_min_apply_delay = '${delayMs}ms'`);
    await db.query(`SELECT pg_reload_conf()`);
    await this.waitForSetting(db, 'recovery_min_apply_delay', (v) => toMs(v) === delayMs);
  }

  /** The standby stops replaying (WAL still arrives and piles up): reads stay at the paused position. */
  async pauseReplay(replica: ReplicaName): Promise<void> {
    await this.db(replica).query(`SELECT pg_wal_replay_pause()`);
  }

  async resumeReplay(replica: ReplicaName): Promise<void> {
    await this.db(replica).query(`SELECT pg_wal_replay_resume()`);
  }

  /**
   * Cuts the standby off its primary: an empty primary_conninfo stops its WAL receiver on reload
   * (PostgreSQL 13+), so no new WAL arrives; what it received it still replays. Returns the
   * conninfo it had, for `reconnect`.
   */
  async cutOff(replica: ReplicaName): Promise<string> {
    const db = this.db(replica);
    const [{ conninfo }] = await db.query<{ conninfo: string }>(
      `SELECT current_setting('primary_conninfo') AS conninfo`,
    );
    await db.execute(`ALTER SYSTEM SET primary_conninfo = ''`);
    await db.query(`SELECT pg_reload_conf()`);
    await this.waitForSetting(db, 'primary_conninfo', (v) => v === '');
    return conninfo;
  }

  /** Gives the standby its primary_conninfo back; its WAL receiver starts again and it catches up. */
  async reconnect(replica: ReplicaName, conninfo: string | undefined): Promise<void> {
    const db = this.db(replica);
    const value = conninfo && conninfo !== '' ? conninfo : this.defaultConninfo(replica);
    await db.execute(`ALTER SYSTEM SET primary_conninfo = '${value.replace(/'/g, "''")}'`);
    await db.query(`SELECT pg_reload_conf()`);
    await this.waitForSetting(db, 'primary_conninfo', (v) => v !== '');
  }

  /** The trio's state, probed at most every statusCacheMs (concurrent callers share one probe). */
  status(): Promise<StreamingStatus> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > STREAMING_LIMITS.statusCacheMs) {
      this.cached = { at: now, status: this.probe() };
    }
    return this.cached.status;
  }

  private async probe(): Promise<StreamingStatus> {
    const bounded = <T>(p: Promise<T>, what: string) => withTimeout(p, STREAMING_LIMITS.probeTimeoutMs, what);
    const primary = bounded(
      this.primary().query<{
        in_recovery: boolean;
        lsn: string;
        lags: Array<{ name: string; replay_lag_ms: number | null; state: string }> | null;
      }>(
        `SELECT pg_is_in_recovery() AS in_recovery, pg_current_wal_lsn()::text AS lsn,
                (SELECT json_agg(json_build_object('name', application_name, 'state', state,
                        'replay_lag_ms', round(extract(epoch FROM replay_lag) * 1000)))
                   FROM pg_stat_replication) AS lags`,
      ),
      'streaming primary probe',
    ).then(
      ([r]) => ({
        up: !r.in_recovery,
        lsn: r.lsn,
        lags: r.lags ?? [],
        error: r.in_recovery ? 'the primary is in recovery (it is a standby)' : undefined,
      }),
      (err: Error) => ({
        up: false,
        error: err.message,
        lags: [] as Array<{ name: string; replay_lag_ms: number | null; state: string }>,
        lsn: undefined,
      }),
    );
    const standbys = REPLICA_NAMES.map((name) =>
      bounded(
        this.db(name).query<{
          in_recovery: boolean;
          receive_lsn: string | null;
          replay_lsn: string | null;
          replay_ts: number | null;
          paused: boolean;
          receiver: string | null;
          delay: string;
          conninfo: string;
        }>(
          `SELECT pg_is_in_recovery() AS in_recovery,
                  pg_last_wal_receive_lsn()::text AS receive_lsn,
                  pg_last_wal_replay_lsn()::text AS replay_lsn,
                  extract(epoch FROM pg_last_xact_replay_timestamp())::float8 AS replay_ts,
                  CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END AS paused,
                  (SELECT status FROM pg_stat_wal_receiver) AS receiver,
                  current_setting('recovery_min_apply_delay') AS delay,
                  current_setting('primary_conninfo') AS conninfo`,
        ),
        `${name} probe`,
      ).then(
        ([r]): StandbyStatus => ({
          up: r.in_recovery,
          ...(r.in_recovery ? {} : { error: `${name} is not in recovery (not a standby)` }),
          in_recovery: r.in_recovery,
          receive_lsn: r.receive_lsn,
          replay_lsn: r.replay_lsn,
          replay_timestamp: r.replay_ts,
          replay_paused: r.paused,
          wal_receiver: r.receiver,
          recovery_min_apply_delay_ms: toMs(r.delay),
          cut_off: r.conninfo === '',
        }),
        (err: Error): StandbyStatus => ({ up: false, error: err.message }),
      ),
    );
    const [p, s1, s2] = await Promise.all([primary, ...standbys]);
    const byName = { replica1: s1, replica2: s2 } as Record<ReplicaName, StandbyStatus>;
    const problems: string[] = [];
    if (!p.up) problems.push(`primary (${this.url('primary')}): ${p.error}`);
    for (const name of REPLICA_NAMES) {
      const lag = p.lags.find((l) => l.name === name);
      byName[name].replay_lag_ms = lag ? lag.replay_lag_ms : null;
      if (!byName[name].up) problems.push(`${name} (${this.url(name)}): ${byName[name].error}`);
    }
    const available = problems.length === 0;
    return {
      available,
      ...(available
        ? {}
        : {
            reason: `The postgres-streaming engine needs its primary and both hot standbys; not usable: ${problems.join('; ')}. Start them with \`npm run infra\` (it says why it could not, also in pg-streaming/infra.status under the cache dir).`,
          }),
      primary: {
        up: p.up,
        url: redact(this.url('primary')),
        ...(p.error ? { error: p.error } : {}),
        ...(p.lsn ? { lsn: p.lsn } : {}),
      },
      standbys: Object.fromEntries(
        REPLICA_NAMES.map((n) => [n, { ...byName[n], url: redact(this.url(n)) }]),
      ) as StreamingStatus['standbys'],
      checked_at: new Date().toISOString(),
    };
  }

  private async waitForSetting(db: LabDatabase, name: string, ok: (value: string) => boolean): Promise<void> {
    const deadline = Date.now() + STREAMING_LIMITS.settingApplyMs;
    for (;;) {
      const [row] = await db.query<{ value: string }>(`SELECT current_setting($1) AS value`, [name]);
      if (ok(row.value)) return;
      if (Date.now() > deadline)
        throw new Error(
          `${name} still ${JSON.stringify(row.value)} ${STREAMING_LIMITS.settingApplyMs} ms after pg_reload_conf()`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** What pg_basebackup -R would have written, from the primary URL this app uses (the lab's trio is trust-only). */
  private defaultConninfo(replica: ReplicaName): string {
    const url = new URL(this.url('primary'));
    return `host=${url.hostname} port=${url.port || 5432} user=${decodeURIComponent(url.username || 'postgres')} application_name=${replica}`;
  }

  private db(node: StreamingNode): LabDatabase {
    let db = this.dbs.get(node);
    if (!db) {
      const pool = new Pool({
        connectionString: this.url(node),
        application_name: `labs-${LAB}-streaming-${node}`,
        max: node === 'primary' ? STREAMING_LIMITS.primaryPoolSize : STREAMING_LIMITS.standbyPoolSize,
        idleTimeoutMillis: 10_000,
        connectionTimeoutMillis: STREAMING_LIMITS.connectTimeoutMs,
        statement_timeout: STREAMING_LIMITS.statementTimeoutMs,
        query_timeout: STREAMING_LIMITS.statementTimeoutMs + 2000,
        keepAlive: true,
      });
      pool.on('error', (err) => this.logger.debug(`${node} pool: idle connection failed: ${err.message}`));
      db = new LabDatabase(`${LAB}-streaming-${node}`, pool, () => true);
      this.dbs.set(node, db);
    }
    return db;
  }
}

function head(r: HeadRow): StandbyRead {
  return {
    epoch: r.epoch,
    version: Number(r.version),
    write_id: r.write_id,
    write_timestamp: r.write_timestamp,
    replay_lsn: r.replay_lsn,
    replay_timestamp: r.replay_ts,
  };
}

/** PostgreSQL shows a time setting in its own unit (`500ms`, `2s`, `0`): back to ms. */
export function toMs(value: string): number {
  const m = /^(\d+)\s*(us|ms|s|min|h|d)?$/.exec(value.trim());
  if (!m) return NaN;
  const factor = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 'ms'] ?? 1;
  return Number(m[1]) * factor;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
