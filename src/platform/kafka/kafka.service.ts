import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Admin, ITopicConfig, Kafka, logLevel, LogEntry } from 'kafkajs';
import { AppConfig } from '../config/app-config';
import { withTimeout } from '../redis/redis.service';

/**
 * kafkajs for the labs: one Kafka client, an admin that creates the labs' topics, and names
 * namespaced by KAFKA_NAMESPACE so tests never meet a running lab's topics or groups.
 * Nothing connects at boot: a lab connects when it needs the broker, so a broker that is down
 * makes that lab unhealthy without stopping the others.
 */
@Injectable()
export class KafkaService implements OnApplicationShutdown {
  private readonly logger = new Logger('Kafka');
  readonly kafka: Kafka;
  private admin?: Admin;
  private adminConnected?: Promise<Admin>;

  constructor(private readonly config: AppConfig) {
    this.kafka = new Kafka({
      clientId: 'distributed-systems-labs',
      brokers: config.kafkaBrokers,
      connectionTimeout: 3000,
      requestTimeout: 10000,
      retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
      logLevel: logLevel.ERROR,
      logCreator: () => (entry: LogEntry) => this.log(entry),
    });
  }

  /** `orders` → `<namespace>.orders` when KAFKA_NAMESPACE is set. */
  name(base: string): string {
    return this.config.env.KAFKA_NAMESPACE ? `${this.config.env.KAFKA_NAMESPACE}.${base}` : base;
  }

  async sharedAdmin(): Promise<Admin> {
    this.adminConnected ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
      return admin;
    })().catch((err: unknown) => {
      this.adminConnected = undefined;
      throw err;
    });
    return this.adminConnected;
  }

  /** Creates the topics that are missing (names already namespaced by the caller). */
  async ensureTopics(topics: ITopicConfig[]): Promise<void> {
    const admin = await this.sharedAdmin();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
  }

  async ping(timeoutMs: number): Promise<void> {
    await withTimeout(
      (async () => {
        const admin = await this.sharedAdmin();
        await admin.describeCluster();
      })(),
      timeoutMs,
      'kafka describeCluster',
    );
  }

  private lastLogged = new Map<string, number>();

  /** kafkajs repeats a broker error on every retry: log each distinct message once per 30 s. */
  private log(entry: LogEntry): void {
    if (entry.level > logLevel.ERROR) return;
    const message = `${entry.namespace}: ${String(entry.log.message)}`;
    const now = Date.now();
    if (now - (this.lastLogged.get(message) ?? 0) < 30000) return;
    this.lastLogged.set(message, now);
    this.logger.warn(message);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
  }
}
