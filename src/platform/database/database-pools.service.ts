import { FactoryProvider, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Client, Pool, PoolConfig } from 'pg';
import { AppConfig } from '../config/app-config';
import { withTimeout } from '../redis/redis.service';
import { LabDatabase } from './lab-database';

/** Liveness probe of PostgreSQL: one dedicated connection, outside every lab's pool. */
const PROBE_INTERVAL_MS = 1000;
const PROBE_TIMEOUT_MS = 2000;
/** Consecutive failed probes before PostgreSQL counts as stalled (one slow probe on a busy host is not). */
const PROBE_FAILURES_TO_TRIP = 2;
/** The client-side query timeout sits above statement_timeout, so the server's own error wins when it can send one. */
const QUERY_TIMEOUT_MARGIN_MS = 5000;

/**
 * Every lab gets its own bounded `pg` pool (DB_POOL_SIZE), so a lab whose faults hold all its
 * connections delays only itself. Each connection carries statement_timeout, lock_timeout and
 * idle_in_transaction_session_timeout. A probe watches PostgreSQL: when it stops answering
 * (stopped, frozen, partitioned), statements in flight fail at once with 503 and new ones fail
 * fast, until a probe answers again.
 */
@Injectable()
export class DatabasePools implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  private readonly databases = new Map<string, LabDatabase>();
  private probeClient?: Client;
  private failures = 0;
  private reachable = true;
  private lastError?: string;
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly config: AppConfig) {}

  /** The executor of `lab`, over that lab's own pool (created on first use). */
  forLab(lab: string): LabDatabase {
    let database = this.databases.get(lab);
    if (!database) {
      const pool = new Pool(this.poolConfig(`labs-${lab}`, this.config.env.DB_POOL_SIZE));
      pool.on('error', (err) => this.logger.warn(`${lab} pool: idle connection failed: ${err.message}`));
      database = new LabDatabase(lab, pool, () => this.reachable);
      this.databases.set(lab, database);
    }
    return database;
  }

  /** Whether PostgreSQL answered the latest probes, and the last error if not. */
  status(): { reachable: boolean; error?: string } {
    return this.reachable ? { reachable: true } : { reachable: false, error: this.lastError };
  }

  /** One `SELECT 1` on the probe connection, bounded by `timeoutMs`. */
  async ping(timeoutMs: number = PROBE_TIMEOUT_MS): Promise<void> {
    try {
      const client = await withTimeout(this.probeConnection(), timeoutMs, 'postgres connect');
      await withTimeout(client.query('SELECT 1'), timeoutMs, 'postgres SELECT 1');
    } catch (err) {
      this.dropProbe();
      throw err;
    }
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.probe(), PROBE_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.dropProbe();
    await Promise.all([...this.databases.values()].map((db) => db.end().catch(() => undefined)));
    this.logger.log('pools ended');
  }

  private async probe(): Promise<void> {
    if (this.closed) return;
    try {
      await this.ping(PROBE_TIMEOUT_MS);
      this.failures = 0;
      if (!this.reachable) this.logger.log('PostgreSQL answers again');
      this.reachable = true;
    } catch (err) {
      this.lastError = (err as Error).message;
      this.failures++;
      if (this.reachable && this.failures >= PROBE_FAILURES_TO_TRIP) {
        this.reachable = false;
        this.logger.warn(
          `PostgreSQL stopped answering (${this.lastError}): failing database calls fast until it answers`,
        );
        for (const db of this.databases.values()) db.abortAll(this.lastError);
      }
    }
  }

  private probeConnection(): Promise<Client> {
    if (this.probeClient) return Promise.resolve(this.probeClient);
    const client = new Client(this.poolConfig('labs-probe', 1));
    client.on('error', () => this.dropProbe(client));
    this.probeClient = client;
    return client.connect().then(
      () => client,
      (err: Error) => {
        this.dropProbe(client);
        throw err;
      },
    );
  }

  private dropProbe(client = this.probeClient): void {
    if (!client) return;
    if (this.probeClient === client) this.probeClient = undefined;
    // Not awaited: a frozen server never acknowledges the goodbye.
    client.end().catch(() => undefined);
  }

  private poolConfig(applicationName: string, max: number): PoolConfig {
    const env = this.config.env;
    return {
      connectionString: env.DATABASE_URL,
      application_name: applicationName,
      max,
      idleTimeoutMillis: 10_000,
      connectionTimeoutMillis: env.DB_CONNECT_TIMEOUT_MS,
      statement_timeout: env.DB_STATEMENT_TIMEOUT_MS,
      lock_timeout: env.DB_LOCK_TIMEOUT_MS,
      idle_in_transaction_session_timeout: env.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      query_timeout: env.DB_STATEMENT_TIMEOUT_MS + QUERY_TIMEOUT_MARGIN_MS,
      keepAlive: true,
    };
  }
}

/** Gives a lab module its own `LabDatabase`, injected by class: `providers: [labDatabaseProvider(BANK_LAB)]`. */
export function labDatabaseProvider(lab: string): FactoryProvider<LabDatabase> {
  return { provide: LabDatabase, inject: [DatabasePools], useFactory: (pools: DatabasePools) => pools.forLab(lab) };
}
