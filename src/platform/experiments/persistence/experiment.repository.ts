import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { AppConfig } from '../../config/app-config';
import { DatabasePools } from '../../database/database-pools.service';
import type { LabDatabase } from '../../database/lab-database';
import type {
  ExperimentDocument,
  ExperimentStatus,
  HistoryOp,
  NemesisStep,
  ProcessId,
  Verdict,
  WorkloadParams,
} from '../experiment.contract';

export interface NewExperimentRow {
  id: string;
  lab: string;
  strategy: string;
  workload: string;
  nemesis: string | NemesisStep[];
  schedule: NemesisStep[];
  seed: number;
  params: WorkloadParams;
  plannedOps: number;
}

interface ExperimentRow {
  id: string;
  lab: string;
  strategy: string;
  workload: string;
  nemesis: string | NemesisStep[];
  schedule: NemesisStep[];
  seed: string;
  params: WorkloadParams;
  setup: Record<string, unknown> | null;
  status: ExperimentStatus;
  progress: number;
  planned_ops: number;
  ops_recorded: number;
  verdict: Verdict | null;
  reason: string | null;
  created_at: Date;
  finished_at: Date | null;
}

interface OpRow {
  idx: number;
  type: HistoryOp['type'];
  process: string;
  f: string;
  value: unknown;
  node: string | null;
  time_ns: string;
  error: string | null;
}

/** How many finished experiments are kept; older ones (and their histories) are deleted. */
export const EXPERIMENTS_KEPT = 200;
const QUERY_TIMEOUT_MS = 10_000;

/**
 * The experiments schema, in raw SQL. Experiment rows go through a LabDatabase of their own; history ops
 * through a pool of their own, so a lab that exhausts its pool (that is what some
 * experiments provoke) cannot hold the recording up, and with `synchronous_commit = off` on those
 * connections: a committed op survives any crash of the app (PostgreSQL has it), and only a
 * crash of PostgreSQL itself could lose its last few hundred milliseconds, at a fraction of the
 * cost of a WAL flush per batch.
 */
@Injectable()
export class ExperimentRepository implements OnApplicationShutdown {
  private readonly db: LabDatabase;
  private readonly opsPool: Pool;

  constructor(pools: DatabasePools, config: AppConfig) {
    this.db = pools.forLab('experiments');
    this.opsPool = createOpsPool(config.env.DATABASE_URL);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.opsPool.end().catch(() => undefined);
  }

  async insert(row: NewExperimentRow, owner: string): Promise<void> {
    await this.query(
      `INSERT INTO experiments.experiments (id, lab, strategy, workload, nemesis, schedule, seed, params, status, planned_ops, owner)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'running', $9, $10)`,
      [
        row.id,
        row.lab,
        row.strategy,
        row.workload,
        JSON.stringify(row.nemesis),
        JSON.stringify(row.schedule),
        row.seed,
        JSON.stringify(row.params),
        row.plannedOps,
        owner,
      ],
    );
  }

  async saveSetup(id: string, setup: Record<string, unknown>): Promise<void> {
    await this.query('UPDATE experiments.experiments SET setup = $2 WHERE id = $1', [id, JSON.stringify(setup)]);
  }

  async saveProgress(id: string, progress: number, opsRecorded: number): Promise<void> {
    await this.query(
      `UPDATE experiments.experiments SET progress = $2, ops_recorded = $3, heartbeat_at = now()
        WHERE id = $1 AND status = 'running'`,
      [id, progress, opsRecorded],
    );
  }

  async finish(
    id: string,
    status: Exclude<ExperimentStatus, 'running'>,
    fields: { progress: number; opsRecorded: number; verdict: Verdict | null; reason?: string },
  ): Promise<void> {
    await this.query(
      `UPDATE experiments.experiments
          SET status = $2, progress = $3, ops_recorded = $4, verdict = $5, reason = $6, finished_at = now()
        WHERE id = $1`,
      [
        id,
        status,
        fields.progress,
        fields.opsRecorded,
        fields.verdict ? JSON.stringify(fields.verdict) : null,
        fields.reason ?? null,
      ],
    );
  }

  /**
   * A `running` experiment that is not ours and whose runner stopped beating belongs to a process
   * that died: it can never be judged now, so it ends `aborted` (never `valid`). Ours beat every
   * few hundred ms, so another live instance's runs are left alone.
   */
  async abortOrphans(owner: string, staleMs: number, reason: string): Promise<string[]> {
    const rows = await this.query<{ id: string }>(
      `UPDATE experiments.experiments e
          SET status = 'aborted', reason = $3, finished_at = now(),
              ops_recorded = (SELECT count(*) FROM experiments.ops o WHERE o.experiment_id = e.id)
        WHERE status = 'running' AND owner IS DISTINCT FROM $1
          AND heartbeat_at < now() - make_interval(secs => $2::double precision / 1000)
        RETURNING id`,
      [owner, staleMs, reason],
    );
    return rows.map((r) => r.id);
  }

  async prune(keep = EXPERIMENTS_KEPT): Promise<void> {
    await this.query(
      `DELETE FROM experiments.experiments WHERE status <> 'running' AND id NOT IN
         (SELECT id FROM experiments.experiments ORDER BY created_at DESC LIMIT $1)`,
      [keep],
    );
  }

  /** Appends ops in one statement (the recorder's group commit). */
  async appendOps(experimentId: string, ops: readonly HistoryOp[]): Promise<void> {
    await insertOps(this.opsPool, experimentId, ops, QUERY_TIMEOUT_MS);
  }

  async find(id: string): Promise<ExperimentDocument | undefined> {
    const rows = await this.query<ExperimentRow>('SELECT * FROM experiments.experiments WHERE id = $1', [id]);
    return rows[0] ? toDocument(rows[0]) : undefined;
  }

  async setupOf(id: string): Promise<Record<string, unknown> | null> {
    const rows = await this.query<{ setup: Record<string, unknown> | null }>(
      'SELECT setup FROM experiments.experiments WHERE id = $1',
      [id],
    );
    return rows[0]?.setup ?? null;
  }

  async recent(limit: number, lab?: string): Promise<ExperimentDocument[]> {
    const rows = await this.query<ExperimentRow>(
      `SELECT id, lab, strategy, workload, nemesis, schedule, seed, params, status, progress, planned_ops, ops_recorded,
              verdict, reason, created_at, finished_at
         FROM experiments.experiments WHERE ($2::text IS NULL OR lab = $2) ORDER BY created_at DESC LIMIT $1`,
      [limit, lab ?? null],
    );
    return rows.map(toDocument);
  }

  /** The history in index order, read in pages so a long one never sits in one result. */
  async *history(experimentId: string, pageSize = 5000, fromIndex = 0): AsyncGenerator<HistoryOp[]> {
    let from = fromIndex;
    for (;;) {
      const rows = await this.query<OpRow>(
        `SELECT idx, type, process, f, value, node, time_ns, error FROM experiments.ops
          WHERE experiment_id = $1 AND idx >= $2 ORDER BY idx LIMIT $3`,
        [experimentId, from, pageSize],
      );
      if (rows.length === 0) return;
      yield rows.map(toOp);
      if (rows.length < pageSize) return;
      from = rows[rows.length - 1].idx + 1;
    }
  }

  async allOps(experimentId: string): Promise<HistoryOp[]> {
    const all: HistoryOp[] = [];
    for await (const page of this.history(experimentId)) all.push(...page);
    return all;
  }

  private query<R>(sql: string, params: unknown[]): Promise<R[]> {
    return this.db.query<R>(sql, params);
  }
}

function toOp(row: OpRow): HistoryOp {
  const process: ProcessId = row.process === 'nemesis' ? 'nemesis' : Number(row.process);
  const op: HistoryOp = {
    index: row.idx,
    type: row.type,
    process,
    f: row.f,
    value: row.value,
    time: Number(row.time_ns),
  };
  if (row.node !== null) op.node = row.node;
  if (row.error !== null) op.error = row.error;
  return op;
}

function toDocument(row: ExperimentRow): ExperimentDocument {
  return {
    id: row.id,
    lab: row.lab,
    strategy: row.strategy,
    workload: row.workload,
    nemesis: row.nemesis,
    schedule: row.schedule,
    seed: Number(row.seed),
    params: row.params,
    status: row.status,
    progress: row.progress,
    created_at: row.created_at.toISOString(),
    finished_at: row.finished_at ? row.finished_at.toISOString() : null,
    ops_recorded: row.ops_recorded,
    verdict: row.verdict,
    ...(row.reason ? { reason: row.reason } : {}),
  } as ExperimentDocument;
}

/**
 * One multi-row INSERT of ops (unnest of column arrays), idempotent on (experiment, index) so a
 * retried batch never fails on the rows that made it the first time.
 */
export async function insertOps(
  pool: Pool,
  experimentId: string,
  ops: readonly HistoryOp[],
  timeoutMs = QUERY_TIMEOUT_MS,
): Promise<void> {
  if (ops.length === 0) return;
  const n = ops.length;
  const idx = new Array<number>(n);
  const type = new Array<string>(n);
  const process = new Array<string>(n);
  const f = new Array<string>(n);
  const value = new Array<string | null>(n);
  const node = new Array<string | null>(n);
  const time = new Array<string>(n);
  const error = new Array<string | null>(n);
  for (let i = 0; i < n; i++) {
    const op = ops[i];
    idx[i] = op.index;
    type[i] = op.type;
    process[i] = String(op.process);
    f[i] = op.f;
    value[i] = op.value === undefined ? null : JSON.stringify(op.value);
    node[i] = op.node ?? null;
    time[i] = String(op.time);
    error[i] = op.error ?? null;
  }
  await pool.query({
    // Prepared once per connection: the batch costs an execute, not a parse and plan.
    name: 'experiments-insert-ops',
    text: `INSERT INTO experiments.ops (experiment_id, idx, type, process, f, value, node, time_ns, error)
     SELECT $1, u.idx, u.type, u.process, u.f, u.value::jsonb, u.node, u.time_ns, u.error
       FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[])
         AS u(idx, type, process, f, value, node, time_ns, error)
     ON CONFLICT (experiment_id, idx) DO NOTHING`,
    values: [experimentId, idx, type, process, f, value, node, time, error],
    query_timeout: timeoutMs,
  } as never);
}

/** The recording's own small pool (see ExperimentRepository): asynchronous commit on its connections. */
export function createOpsPool(url: string): Pool {
  const pool = new Pool({
    connectionString: url,
    max: 2,
    connectionTimeoutMillis: 5000,
    options: '-c synchronous_commit=off',
  });
  pool.on('error', () => undefined); // an idle connection dropped; the next query opens another
  return pool;
}
