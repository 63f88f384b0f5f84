import { Injectable } from '@nestjs/common';
import { LabDatabase } from '../../../platform/database/lab-database';
import { NetworkFaultsService } from '../../../platform/faults/network-faults.service';
import { RedisService } from '../../../platform/redis/redis.service';
import { LabResetHook, LabResetProvider } from '../../../platform/reset/lab-reset.contract';
import { LAB } from '../counter.config';
import { beginReset, endReset, holdReset } from '../persistence/reset-fence';

const SCAN_BATCH = 500;
/** A bound on what one reset deletes (the lab caps its counter names far below this). */
const MAX_KEYS = 200_000;
/** How long a reset holds off syncs if it dies before it ends; renewed on every batch it deletes. */
const RESET_HOLD_MS = 30_000;

/**
 * Counter's part of the one reset: every region's G- and PN-counters, idempotency records and the
 * strong counter (Redis and PostgreSQL) gone, and no region partitioned (each region's partition is
 * its own key in Redis, so this heals the regions of every process). Syncs are fenced by a reset
 * epoch (persistence/reset-fence.ts).
 */
@Injectable()
@LabResetProvider()
export class CounterReset extends LabResetHook {
  readonly lab = LAB;

  constructor(
    private readonly redis: RedisService,
    private readonly db: LabDatabase,
    private readonly faults: NetworkFaultsService,
  ) {
    super();
  }

  async reset(): Promise<Record<string, unknown>> {
    const healed = await this.faults.healLab(LAB);
    // The fence: from here on every sync whose state was read before (an older epoch) is refused,
    // and no new round starts until the keys are gone — so a round in flight cannot write counts back.
    const epoch = await beginReset(this.redis, RESET_HOLD_MS);
    let deleted = 0;
    try {
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.client.scan(cursor, 'MATCH', 'counter:*', 'COUNT', SCAN_BATCH);
        cursor = next;
        if (keys.length > 0) deleted += await this.redis.client.unlink(...keys);
        await holdReset(this.redis, RESET_HOLD_MS);
      } while (cursor !== '0' && deleted < MAX_KEYS);
    } finally {
      await endReset(this.redis);
    }
    await this.db.execute('DELETE FROM counter.strong_counters');
    return { redis_keys_deleted: deleted, strong_counters: 'empty', partitions_healed: healed, reset_epoch: epoch };
  }
}
