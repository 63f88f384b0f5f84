import { Injectable } from '@nestjs/common';
import { LabStrategy } from '../../../platform/strategy/lab-strategy.decorator';
import { LabDatabase } from '../../../platform/database/lab-database';
import { delay } from '../../../platform/faults/delay';
import { LAB } from '../counter.config';
import {
  MAX_STRONG_VALUE,
  STRONG_COUNTER_PORT,
  StrongCounterKey,
  StrongCounterPort,
  StrongIncrement,
} from './strong-counter.port';

/**
 * One PostgreSQL row per counter. The increment locks the row (SELECT ... FOR UPDATE), waits the
 * coordination delay, adds with `value = value + $2 RETURNING value`, waits again and commits.
 * No window: a second increment of the same name blocks on the row lock until the first
 * commits, so increments are serialized and every returned value is distinct — at the price of
 * 2 × delay per increment and a queue under contention (lock_wait_ms shows it).
 */
@Injectable()
@LabStrategy({
  lab: LAB,
  port: STRONG_COUNTER_PORT,
  key: StrongCounterKey.PostgresRowLock,
  isDefault: true,
  description: 'PostgreSQL row locked FOR UPDATE during the coordination delay: serialized, linearizable',
})
export class PostgresRowLockStrongCounterStrategy extends StrongCounterPort {
  constructor(private readonly db: LabDatabase) {
    super();
  }

  async increment(name: string, amount: number, coordinationDelayMs: number): Promise<StrongIncrement> {
    return this.db.transaction('READ COMMITTED', async (tx) => {
      await tx.execute(
        `INSERT INTO counter.strong_counters (name, value) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING`,
        [name],
      );
      const waitStarted = performance.now();
      const [locked] = await tx.query<{ value: string }>(
        `SELECT value FROM counter.strong_counters WHERE name = $1 FOR UPDATE`,
        [name],
      );
      const lockWaitMs = performance.now() - waitStarted;
      // The row is ours until commit: past the ceiling (2^53 − 1, exact in JSON) nothing is added.
      if (BigInt(locked.value) + BigInt(amount) > BigInt(MAX_STRONG_VALUE))
        return { value: Number(locked.value), lockWaitMs, outOfRange: true };
      await delay(coordinationDelayMs);
      const [row] = await tx.query<{ value: string }>(
        `UPDATE counter.strong_counters SET value = value + $2, updated_at = now() WHERE name = $1 RETURNING value`,
        [name, amount],
      );
      await delay(coordinationDelayMs);
      return { value: Number(row.value), lockWaitMs };
    });
  }

  async read(name: string): Promise<number | null> {
    const rows = await this.db.query<{ value: string }>(`SELECT value FROM counter.strong_counters WHERE name = $1`, [
      name,
    ]);
    return rows.length === 0 ? null : Number(rows[0].value);
  }

  async all(): Promise<Record<string, number>> {
    const rows = await this.db.query<{ name: string; value: string }>(
      `SELECT name, value FROM counter.strong_counters ORDER BY name`,
    );
    return Object.fromEntries(rows.map((r) => [r.name, Number(r.value)]));
  }
}
