import { Client } from 'pg';
import type { ExperimentDocument, HistoryOp, PlannedOp } from '../../src/platform/experiments/experiment.contract';
import { eventually } from '../utils/concurrency';
import { get, post } from '../utils/http';

/** Drives /admin/experiments of a running app: start, wait for the verdict, read the history. */
export class ExperimentClient {
  constructor(readonly base: string) {}

  async start(body: Record<string, unknown>): Promise<string> {
    const res = await post<{ id: string }>(`${this.base}/admin/experiments`, body);
    if (res.status !== 202) throw new Error(`POST /admin/experiments → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id;
  }

  async document(id: string): Promise<ExperimentDocument> {
    return (await get<ExperimentDocument>(`${this.base}/admin/experiments/${id}`)).body;
  }

  /** Polls until the experiment is no longer running. */
  async finished(id: string, timeoutMs = 90_000): Promise<ExperimentDocument> {
    return eventually(
      () => this.document(id),
      (doc) => doc.status !== 'running',
      { timeoutMs, intervalMs: 250 },
    );
  }

  async run(body: Record<string, unknown>, timeoutMs?: number): Promise<ExperimentDocument> {
    return this.finished(await this.start(body), timeoutMs);
  }

  async history(id: string): Promise<HistoryOp[]> {
    const res = await fetch(`${this.base}/admin/experiments/${id}/history`);
    const text = await res.text();
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as HistoryOp);
  }
}

/** The client ops each process invoked, in order: the plan as it was executed. */
export function invokedPlan(history: readonly HistoryOp[]): PlannedOp[] {
  return history
    .filter((op) => op.type === 'invoke' && op.process !== 'nemesis')
    .map((op) => ({ process: op.process as number, f: op.f, value: op.value, ...(op.node ? { node: op.node } : {}) }))
    .sort((a, b) => a.process - b.process);
}

/** A direct PostgreSQL connection for looking effects up behind the app's back. */
export async function withDatabase<T>(url: string, work: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await db.connect();
  try {
    return await work(db);
  } finally {
    await db.end();
  }
}
