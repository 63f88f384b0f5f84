import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../../platform/config/app-config';
import { LabException } from '../../../platform/http/lab-exception';
import { RuntimeSettingsService } from '../../../platform/strategy/runtime-settings.service';
import { LAB, REPLICA_NAMES, REPLICA_SEED, ReplicaName, REPLICATION_DEFAULTS } from '../replication.config';
import { ReplicationErrorCode, ReplicationException } from '../replication.errors';

export type Delays = Record<ReplicaName, number>;

const DEFAULT_DELAYS: Delays = {
  replica1: REPLICA_SEED.replica1.defaultDelayMs,
  replica2: REPLICA_SEED.replica2.defaultDelayMs,
};

/**
 * Each replica's current replication delay, a runtime setting kept in Redis (so every instance of
 * the primary ships with the same delays). Replicas are named the seed's way
 * (`http://lab14-replica2:8002`), by node name (`replica2`), or by their URL in this deployment.
 */
@Injectable()
export class ReplicationDelaysService {
  constructor(
    private readonly settings: RuntimeSettingsService,
    private readonly config: AppConfig,
  ) {}

  current(): Promise<Delays> {
    return this.settings.get(LAB, 'delays', DEFAULT_DELAYS);
  }

  async set(changes: Partial<Delays>): Promise<Delays> {
    return this.settings.patch(LAB, 'delays', DEFAULT_DELAYS, changes);
  }

  /** The seed's view: delays keyed by the seed's replica URLs. */
  bySeedUrl(delays: Delays): Record<string, number> {
    return Object.fromEntries(REPLICA_NAMES.map((r) => [REPLICA_SEED[r].seedUrl, delays[r]]));
  }

  resolve(input: string): ReplicaName {
    const wanted = normalise(input);
    for (const replica of REPLICA_NAMES) {
      if (this.aliases(replica).includes(wanted)) return replica;
    }
    throw new ReplicationException(ReplicationErrorCode.UnknownReplica, `Unknown replica: ${input.trim()}`, 'invalid', {
      accepted: Object.fromEntries(REPLICA_NAMES.map((r) => [r, this.aliases(r)])),
    });
  }

  validateDelay(replica: string, delayMs: unknown): number {
    if (
      typeof delayMs !== 'number' ||
      !Number.isInteger(delayMs) ||
      delayMs < 0 ||
      delayMs > REPLICATION_DEFAULTS.maxDelayMs
    ) {
      throw new LabException(
        'REQUEST.VALIDATION_FAILED',
        `Invalid request: delays.${replica}: must be an integer between 0 and ${REPLICATION_DEFAULTS.maxDelayMs}`,
        'invalid',
        [
          {
            field: `delays.${replica}`,
            problems: [`must be an integer between 0 and ${REPLICATION_DEFAULTS.maxDelayMs}`],
            value: delayMs,
          },
        ],
      );
    }
    return delayMs;
  }

  private aliases(replica: ReplicaName): string[] {
    const url = this.config.nodeUrl(LAB, replica);
    return [
      replica,
      REPLICA_SEED[replica].hostname,
      REPLICA_SEED[replica].seedUrl,
      url,
      url.replace('127.0.0.1', 'localhost'),
    ].map(normalise);
  }
}

function normalise(value: string): string {
  return value.trim().replace(/\/+$/, '').toLowerCase();
}
