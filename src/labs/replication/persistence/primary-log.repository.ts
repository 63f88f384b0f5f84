import { Injectable } from '@nestjs/common';
import { LabDatabase, SqlExecutor } from '../../../platform/database/lab-database';
import { LogEntry } from '../domain/replication-log';

export interface PrimaryHead {
  epoch: number;
  version: number;
  write_id: string | null;
  write_timestamp: number | null;
}

interface HeadRow {
  epoch: number;
  version: string;
  write_id: string | null;
  write_timestamp: number | null;
}

interface LogRow {
  lsn: string;
  key: string;
  value: unknown;
  write_id: string;
  write_timestamp: number;
}

/**
 * The primary's durable state: head, ordered log and data, in the `replication` schema. The
 * app-log engine's instance runs on the lab's database; the postgres-streaming engine makes one
 * over its own primary (the same tables, and its standbys hold a replayed copy of them).
 */
@Injectable()
export class PrimaryLogRepository {
  constructor(private readonly db: LabDatabase) {}

  /**
   * One write = one statement, so one transaction. The UPDATE of the single head row takes its row
   * lock, so writers queue there: LSNs are handed out in commit order with no holes, and the log
   * entry and the data row commit together with the LSN they carry. Keeping it to one statement
   * holds that lock only inside the server — a transaction of several round trips would keep every
   * other writer waiting for each of them. `on`: a pinned session, when the caller reads the WAL
   * position right after the commit on the same connection.
   */
  async append(
    key: string,
    value: unknown,
    writeId: string,
    on: SqlExecutor = this.db,
  ): Promise<{ epoch: number; entry: LogEntry }> {
    const [head] = await on.query<HeadRow>(
      `WITH head AS (
         UPDATE replication.primary_head
            SET version = version + 1, write_id = $1, write_timestamp = extract(epoch FROM clock_timestamp())
          WHERE id = 1
        RETURNING epoch, version, write_timestamp
       ), logged AS (
         INSERT INTO replication.log (epoch, lsn, key, value, write_id, write_timestamp)
         SELECT epoch, version, $2, $3::jsonb, $1, write_timestamp FROM head
       ), stored AS (
         INSERT INTO replication.primary_data (key, value, version)
         SELECT $2, $3::jsonb, version FROM head
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, version = EXCLUDED.version
       )
       SELECT epoch, version, write_timestamp FROM head`,
      [writeId, key, JSON.stringify(value)],
    );
    return {
      epoch: head.epoch,
      entry: { lsn: Number(head.version), key, value, write_id: writeId, write_timestamp: head.write_timestamp! },
    };
  }

  async head(): Promise<PrimaryHead> {
    const [row] = await this.db.query<HeadRow>(
      `SELECT epoch, version, write_id, write_timestamp FROM replication.primary_head WHERE id = 1`,
    );
    return {
      epoch: row.epoch,
      version: Number(row.version),
      write_id: row.write_id,
      write_timestamp: row.write_timestamp,
    };
  }

  async data(): Promise<Record<string, unknown>> {
    const rows = await this.db.query<{ key: string; value: unknown }>(
      `SELECT key, value FROM replication.primary_data ORDER BY key`,
    );
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  /**
   * One key and the head it belongs to, in one statement (one snapshot): read apart, a write
   * committing in between would pair the key's newer value with the older head version.
   */
  async getWithHead(
    key: string,
  ): Promise<{ epoch: number; version: number; row: { value: unknown; version: number } | undefined }> {
    const [r] = await this.db.query<{ epoch: number; version: string; value: unknown; key_version: string | null }>(
      `SELECT h.epoch, h.version, d.value, d.version AS key_version
         FROM replication.primary_head h LEFT JOIN replication.primary_data d ON d.key = $1
        WHERE h.id = 1`,
      [key],
    );
    return {
      epoch: r.epoch,
      version: Number(r.version),
      row: r.key_version === null ? undefined : { value: r.value, version: Number(r.key_version) },
    };
  }

  /** Entries (after, upTo] of an epoch, in LSN order: what shipping and a catching-up replica read. */
  async entries(epoch: number, after: number, limit: number, upTo?: number): Promise<LogEntry[]> {
    const rows = await this.db.query<LogRow>(
      `SELECT lsn, key, value, write_id, write_timestamp FROM replication.log
        WHERE epoch = $1 AND lsn > $2 AND ($3::bigint IS NULL OR lsn <= $3)
        ORDER BY lsn LIMIT $4`,
      [epoch, after, upTo ?? null, limit],
    );
    return rows.map((r) => ({
      lsn: Number(r.lsn),
      key: r.key,
      value: r.value,
      write_id: r.write_id,
      write_timestamp: r.write_timestamp,
    }));
  }

  /** When the write at `lsn` happened: a replica at lsn-1 is behind since then. */
  async writtenAt(epoch: number, lsn: number): Promise<number | undefined> {
    const [row] = await this.db.query<{ write_timestamp: number }>(
      `SELECT write_timestamp FROM replication.log WHERE epoch = $1 AND lsn = $2`,
      [epoch, lsn],
    );
    return row?.write_timestamp;
  }

  /** Reset: a new epoch at version 0, so entries still in flight from the old one are recognisable. */
  async reset(): Promise<PrimaryHead> {
    return this.db.transaction('READ COMMITTED', async (tx) => {
      await tx.execute(
        `UPDATE replication.primary_head SET epoch = epoch + 1, version = 0, write_id = NULL, write_timestamp = NULL WHERE id = 1`,
      );
      await tx.execute(`DELETE FROM replication.log`);
      await tx.execute(`DELETE FROM replication.primary_data`);
      const [row] = await tx.query<{ epoch: number }>(`SELECT epoch FROM replication.primary_head WHERE id = 1`);
      return { epoch: row.epoch, version: 0, write_id: null, write_timestamp: null };
    });
  }
}
