import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DatabasePools } from '../database/database-pools.service';
import { DependencyName, LAB_PLAN, LabName, labDependencies } from '../config/lab-plan';
import { KafkaService } from '../kafka/kafka.service';
import { RedisService, withTimeout } from '../redis/redis.service';

export interface DependencyStatus {
  /** `degraded`: it answers but is not doing its whole job (a standby cut off or paused); the lab stays ready. */
  status: 'up' | 'down' | 'degraded' | 'unchecked';
  latency_ms?: number;
  error?: string;
  checked_at?: string;
  /** Whatever else a lab's own check reports (a standby's state, replay position and lag, ...). */
  [detail: string]: unknown;
}

export interface LabHealth {
  status: 'up' | 'down';
  dependencies: string[];
  down: string[];
}

export interface Readiness {
  ready: boolean;
  dependencies: Record<string, DependencyStatus>;
  labs: Record<string, LabHealth>;
}

/**
 * A lab's own dependencies beyond postgres/redis/kafka (the replication lab's streaming servers
 * while that engine is selected). `check` answers the dependencies that apply right now, by name
 * (none: an empty record); it runs in every health round, bounded by the round's timeout.
 */
export interface LabDependencyCheck {
  lab: LabName;
  check(): Promise<Record<string, DependencyStatus>>;
}

const CHECK_TIMEOUT_MS = 1500;
const CHECK_INTERVAL_MS = 3000;
/** A lab's own check may run probes of its own bounded by CHECK_TIMEOUT_MS: it gets that long plus a margin. */
const LAB_CHECK_TIMEOUT_MS = CHECK_TIMEOUT_MS + 1000;

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
  private readonly labChecks: LabDependencyCheck[] = [];
  /** The last answer of each lab's own checks. */
  private readonly labStatuses = new Map<LabName, Record<string, DependencyStatus>>();

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

  /** A lab adds dependencies of its own to /health and to its readiness (called once, at module init). */
  register(check: LabDependencyCheck): void {
    this.labChecks.push(check);
  }

  async refresh(): Promise<void> {
    this.inFlight ??= Promise.all([
      ...this.needed.map((dep) => this.check(dep)),
      ...this.labChecks.map((c) => this.checkLab(c)),
    ]).then(
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
   * Readiness, answered from a fresh check (each probe bounded by CHECK_TIMEOUT_MS, a lab's own checks by LAB_CHECK_TIMEOUT_MS, concurrent
   * callers share one round of probes): a lab is ready when every dependency it needs answered.
   */
  async readiness(labs: LabName[]): Promise<Readiness> {
    await this.refresh();
    const perLab = Object.fromEntries(labs.map((lab) => [lab, this.lab(lab)]));
    const needed = new Set(labs.flatMap((lab) => LAB_PLAN[lab].dependencies));
    const dependencies = {
      ...Object.fromEntries([...needed].map((dep) => [dep, this.status(dep)])),
      ...Object.assign({}, ...labs.map((lab) => this.labStatuses.get(lab) ?? {})),
    } as Record<string, DependencyStatus>;
    const ready = Object.values(perLab).every((l) => l.status === 'up');
    return { ready, dependencies, labs: perLab };
  }

  status(dep: string): DependencyStatus {
    const own = [...this.labStatuses.values()].find((statuses) => dep in statuses);
    return own?.[dep] ?? this.statuses.get(dep as DependencyName) ?? { status: 'unchecked' };
  }

  all(): Record<string, DependencyStatus> {
    return Object.assign(
      Object.fromEntries(this.needed.map((dep) => [dep, this.status(dep)])),
      ...this.labStatuses.values(),
    ) as Record<string, DependencyStatus>;
  }

  /** A lab is up when every dependency it declares, and every one its own checks answer, is not down. */
  lab(lab: LabName): LabHealth {
    const own = this.labStatuses.get(lab) ?? {};
    const deps = [...LAB_PLAN[lab].dependencies, ...Object.keys(own)];
    const down = deps.filter((d) => this.status(d).status === 'down');
    return { status: down.length ? 'down' : 'up', dependencies: deps, down };
  }

  /** One lab's own checks, bounded like every probe; a failure or a timeout marks what it answered last as down. */
  private async checkLab(check: LabDependencyCheck): Promise<void> {
    try {
      this.labStatuses.set(
        check.lab,
        await withTimeout(check.check(), LAB_CHECK_TIMEOUT_MS, `${check.lab} dependency check`),
      );
    } catch (err) {
      const error = (err as Error).message;
      const last = this.labStatuses.get(check.lab) ?? {};
      const checked_at = new Date().toISOString();
      this.labStatuses.set(
        check.lab,
        Object.fromEntries(Object.keys(last).map((name) => [name, { status: 'down', error, checked_at }])),
      );
    }
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
