import { Injectable } from '@nestjs/common';
import { LabDatabase } from '../../../platform/database/lab-database';
import { LogEntry } from '../domain/replication-log';

export interface ReplicaSnapshot {
  epoch: number;
  version: number;
  write_id: string | null;
  write_timestamp: number | null;
  replicated_at: number | null;
  data: Map<string, unknown>;
}

/** A replica's own durable copy (its "disk"): one row of position and its data rows, per replica. */
@Injectable()
export class ReplicaStoreRepository {
  constructor(private readonly db: LabDatabase) {}

  async load(replica: string): Promise<ReplicaSnapshot> {
    await this.db.execute(
      `INSERT INTO replication.replica_state (replica, epoch, version) VALUES ($1, 1, 0) ON CONFLICT (replica) DO NOTHING`,
      [replica],
    );
    const [state] = await this.db.query<{
      epoch: number;
      version: string;
      write_id: string | null;
      write_timestamp: number | null;
      replicated_at: number | null;
    }>(
      `SELECT epoch, version, write_id, write_timestamp, replicated_at FROM replication.replica_state WHERE replica = $1`,
      [replica],
    );
    const rows = await this.db.query<{ key: string; value: unknown }>(
      `SELECT key, value FROM replication.replica_data WHERE replica = $1`,
      [replica],
    );
    return { ...state, version: Number(state.version), data: new Map(rows.map((r) => [r.key, r.value])) };
  }

  /**
   * Applies a run of entries that is contiguous from the replica's position, in one statement.
   * The `version = first lsn - 1` guard is the ordering rule in SQL: the run applies only on top of
   * its predecessor, so a duplicate or out-of-order delivery updates no row and changes nothing.
   * Returns how many entries applied (all or none).
   */
  async apply(replica: string, epoch: number, entries: LogEntry[], replicatedAt: number): Promise<number> {
    if (entries.length === 0) return 0;
    const [row] = await this.db.query<{ moved: number }>(
      `WITH batch AS (
         SELECT * FROM jsonb_to_recordset($3::jsonb)
           AS e(lsn bigint, key text, value jsonb, write_id text, write_timestamp double precision)
       ), last AS (
         SELECT * FROM batch ORDER BY lsn DESC LIMIT 1
       ), moved AS (
         UPDATE replication.replica_state s
            SET version = last.lsn, write_id = last.write_id, write_timestamp = last.write_timestamp, replicated_at = $4
           FROM last
          WHERE s.replica = $1 AND s.epoch = $2 AND s.version = (SELECT min(lsn) FROM batch) - 1
         RETURNING s.version
       ), stored AS (
         INSERT INTO replication.replica_data (replica, key, value, version)
         SELECT DISTINCT ON (key) $1, key, coalesce(value, 'null'::jsonb), lsn FROM batch
          WHERE EXISTS (SELECT 1 FROM moved)
          ORDER BY key, lsn DESC
         ON CONFLICT (replica, key) DO UPDATE SET value = EXCLUDED.value, version = EXCLUDED.version
       )
       SELECT count(*)::int AS moved FROM moved`,
      [replica, epoch, JSON.stringify(entries), replicatedAt],
    );
    return row.moved === 1 ? entries.length : 0;
  }

  /** Empties the replica and puts it at version 0 of `epoch`. */
  async reset(replica: string, epoch: number): Promise<void> {
    await this.db.transaction('READ COMMITTED', async (tx) => {
      await tx.execute(`DELETE FROM replication.replica_data WHERE replica = $1`, [replica]);
      await tx.query(
        `UPDATE replication.replica_state SET epoch = $2, version = 0, write_id = NULL, write_timestamp = NULL, replicated_at = NULL WHERE replica = $1`,
        [replica, epoch],
      );
    });
  }
}
