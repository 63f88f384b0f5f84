import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import Redlock from 'redlock';
import { AppConfig } from '../config/app-config';

/**
 * The app's Redis connections: one shared command client, a Redlock client over the quorum of
 * REDLOCK_URLS (default: REDIS_URL), and fresh connections on demand for blocking commands.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly client: Redis;
  private readonly lockClients: Redis[];
  private readonly extra: Redis[] = [];
  private redlockInstance?: Redlock;

  constructor(private readonly config: AppConfig) {
    // Auto-pipelining: commands issued in the same tick (one request's reads, or many requests'
    // reads under load) leave in one write and come back in one read. Only on the shared command
    // client; connections for blocking reads and pub/sub (`duplicate`) keep one command at a time.
    this.client = this.connect(config.env.REDIS_URL, 'main', true);
    this.lockClients = config.redlockUrls.map((url, i) =>
      url === config.env.REDIS_URL && i === 0 ? this.client : this.connect(url, `redlock-${i}`),
    );
  }

  /** Redlock over the quorum; `retryCount: 0` by default so callers decide how to wait. */
  get redlock(): Redlock {
    this.redlockInstance ??= new Redlock(this.lockClients, { retryCount: 0, driftFactor: 0.01 });
    return this.redlockInstance;
  }

  /** A new connection (for blocking reads or pub/sub), closed with the app. */
  duplicate(name: string): Redis {
    const connection = this.connect(this.config.env.REDIS_URL, name, false, false);
    this.extra.push(connection);
    return connection;
  }

  async ping(timeoutMs: number): Promise<void> {
    await withTimeout(this.client.ping(), timeoutMs, 'redis ping');
  }

  /** `bounded`: commands fail after REDIS_COMMAND_TIMEOUT_MS; off for connections made for blocking reads. */
  private connect(url: string, name: string, autoPipelining = false, bounded = true): Redis {
    const client = new Redis(url, {
      connectionName: `labs-${name}`,
      enableAutoPipelining: autoPipelining,
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
      connectTimeout: 2000,
      commandTimeout: bounded ? this.config.env.REDIS_COMMAND_TIMEOUT_MS : undefined,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    let reported = false;
    client.on('error', (err: Error) => {
      if (!reported) this.logger.warn(`${name}: ${err.message}`);
      reported = true;
    });
    client.on('ready', () => (reported = false));
    return client;
  }

  async onApplicationShutdown(): Promise<void> {
    const clients = new Set([this.client, ...this.lockClients, ...this.extra]);
    await Promise.all([...clients].map((c) => c.quit().catch(() => c.disconnect())));
    this.logger.log('connections closed');
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
