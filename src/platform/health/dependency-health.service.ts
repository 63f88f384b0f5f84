import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DatabasePools } from '../database/database-pools.service';
import { DependencyName, LAB_PLAN, LabName, labDependencies } from '../config/lab-plan';
import { KafkaService } from '../kafka/kafka.service';
import { RedisService } from '../redis/redis.service';

export interface DependencyStatus {
  status: 'up' | 'down' | 'unchecked';
  latency_ms?: number;
  error?: string;
  checked_at?: string;
}

export interface Readiness {
  ready: boolean;
  dependencies: Record<string, DependencyStatus>;
  labs: Record<string, { status: 'up' | 'down'; dependencies: readonly DependencyName[]; down: DependencyName[] }>;
}

const CHECK_TIMEOUT_MS = 1500;
const CHECK_INTERVAL_MS = 3000;

/**
 * Checks PostgreSQL, Redis and Kafka in the background and keeps the last answer, so /health is
 * instant and a lab can ask whether its dependencies are up before it tries them.
 * Kafka is checked only when a selected lab needs it.
 */
@Injectable()
export class DependencyHealthService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Health');
  private readonly statuses = new Map<DependencyName, DependencyStatus>();
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;
  private readonly needed: DependencyName[];

  constructor(
    private readonly config: AppConfig,
    private readonly database: DatabasePools,
    private readonly redis: RedisService,
    private readonly kafka: KafkaService,
  ) {
    const needed = new Set<DependencyName>(['postgres', 'redis']);
    for (const lab of config.labs.keys()) for (const dep of labDependencies(lab)) needed.add(dep);
    this.needed = [...needed];
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    this.inFlight ??= Promise.all(this.needed.map((dep) => this.check(dep))).then(
      () => undefined,
      () => undefined,
    );
    const running = this.inFlight;
    try {
      await running;
    } finally {
      if (this.inFlight === running) this.inFlight = undefined;
    }
  }

  /**
   * Readiness, answered from a fresh check (each probe bounded by CHECK_TIMEOUT_MS, concurrent
   * callers share one round of probes): a lab is ready when every dependency it needs answered.
   */
  async readiness(labs: LabName[]): Promise<Readiness> {
    await this.refresh();
    const perLab = Object.fromEntries(labs.map((lab) => [lab, this.lab(lab)]));
    const needed = new Set(labs.flatMap((lab) => LAB_PLAN[lab].dependencies));
    const dependencies = Object.fromEntries([...needed].map((dep) => [dep, this.status(dep)]));
    const ready = Object.values(perLab).every((l) => l.status === 'up');
    return { ready, dependencies, labs: perLab };
  }

  status(dep: DependencyName): DependencyStatus {
    return this.statuses.get(dep) ?? { status: 'unchecked' };
  }

  all(): Record<string, DependencyStatus> {
    return Object.fromEntries(this.needed.map((dep) => [dep, this.status(dep)]));
  }

  /** A lab is up when every dependency it declares is up. */
  lab(lab: LabName): { status: 'up' | 'down'; dependencies: readonly DependencyName[]; down: DependencyName[] } {
    const deps = LAB_PLAN[lab].dependencies;
    const down = deps.filter((d) => this.status(d).status === 'down');
    return { status: down.length ? 'down' : 'up', dependencies: deps, down };
  }

  private async check(dep: DependencyName): Promise<void> {
    const started = Date.now();
    const before = this.statuses.get(dep)?.status;
    try {
      await this.probe(dep);
      this.statuses.set(dep, { status: 'up', latency_ms: Date.now() - started, checked_at: new Date().toISOString() });
      if (before === 'down') this.logger.log(`${dep} is up again`);
    } catch (err) {
      const error = (err as Error).message;
      this.statuses.set(dep, { status: 'down', error, checked_at: new Date().toISOString() });
      if (before !== 'down') this.logger.warn(`${dep} is down: ${error}`);
    }
  }

  private probe(dep: DependencyName): Promise<unknown> {
    switch (dep) {
      case 'postgres':
        return this.database.ping(CHECK_TIMEOUT_MS);
      case 'redis':
        return this.redis.ping(CHECK_TIMEOUT_MS);
      case 'kafka':
        return this.kafka.ping(CHECK_TIMEOUT_MS);
    }
  }
}
