import { DatabasePools } from '../../src/platform/database/database-pools.service';
import type { RunningApp } from '../../src/bootstrap';
import type { ExperimentDocument, HistoryOp } from '../../src/platform/experiments/experiment.contract';
import { eventually } from '../utils/concurrency';
import { get, post } from '../utils/http';

export interface FinishedRun {
  doc: ExperimentDocument;
  history: HistoryOp[];
  /** What the lab's prepare returned (its run prefix, settings), read from experiments.experiments. */
  setup: Record<string, any>;
}

/** Starts an experiment through the API, waits for its verdict, and fetches its history (JSON lines). */
export async function runExperiment(app: RunningApp, body: Record<string, unknown>, timeoutMs = 90_000): Promise<FinishedRun> {
  const started = await post(`${app.url}/admin/experiments`, body);
  if (started.status !== 202) throw new Error(`POST /admin/experiments answered ${started.status}: ${JSON.stringify(started.body)}`);
  const id = started.body.id as string;
  const done = await eventually(
    () => get<ExperimentDocument>(`${app.url}/admin/experiments/${id}`),
    (r) => r.status === 200 && r.body.status !== 'running',
    { timeoutMs, intervalMs: 250 },
  );
  const text = await (await fetch(`${app.url}/admin/experiments/${id}/history`)).text();
  const history = text
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as HistoryOp);
  const [row] = (await app.app.get(DatabasePools).forLab('experiments').query('SELECT setup FROM experiments.experiments WHERE id = $1', [id])) as Array<{ setup: Record<string, any> }>;
  return { doc: done.body, history, setup: row?.setup ?? {} };
}

/** The client invokes of a run per process, as (f, value) — the planned ops each process issued, in order. */
export function invokesByProcess(history: HistoryOp[]): Record<string, Array<{ f: string; value: unknown; node?: string }>> {
  const out: Record<string, Array<{ f: string; value: unknown; node?: string }>> = {};
  for (const op of history) {
    if (op.type !== 'invoke' || op.process === 'nemesis') continue;
    (out[String(op.process)] ??= []).push({ f: op.f, value: op.value, ...(op.node ? { node: op.node } : {}) });
  }
  return out;
}

/** A readable summary for failure messages: status, anomaly types and the stats. */
export function summary(run: FinishedRun): string {
  const v = run.doc.verdict;
  return JSON.stringify({ status: run.doc.status, reason: (run.doc as { reason?: string }).reason, anomalies: v?.anomalies.slice(0, 5), stats: v?.stats }).slice(0, 4000);
}
