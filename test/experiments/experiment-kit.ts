import { DatabasePools } from '../../src/platform/database/database-pools.service';
import type { RunningApp } from '../../src/bootstrap';
import type { ExperimentDocument, HistoryOp } from '../../src/platform/experiments/experiment.contract';
import { ExperimentClient } from './experiment-client';

export interface FinishedRun {
  doc: ExperimentDocument;
  history: HistoryOp[];
  /** What the lab's prepare returned (its run prefix, settings), read from experiments.experiments. */
  setup: Record<string, any>;
}

/** Starts an experiment through the API, waits for its verdict, and fetches its history and setup. */
export async function runExperiment(
  app: RunningApp,
  body: Record<string, unknown>,
  timeoutMs = 90_000,
): Promise<FinishedRun> {
  const client = new ExperimentClient(app.url);
  const doc = await client.finished(await client.start(body), timeoutMs);
  const history = await client.history(doc.id);
  const [row] = (await app.app
    .get(DatabasePools)
    .forLab('experiments')
    .query('SELECT setup FROM experiments.experiments WHERE id = $1', [doc.id])) as Array<{
    setup: Record<string, any>;
  }>;
  return { doc, history, setup: row?.setup ?? {} };
}

/** The client invokes of a run per process, as (f, value) — the planned ops each process issued, in order. */
export function invokesByProcess(
  history: HistoryOp[],
): Record<string, Array<{ f: string; value: unknown; node?: string }>> {
  const out: Record<string, Array<{ f: string; value: unknown; node?: string }>> = {};
  for (const op of history) {
    if (op.type !== 'invoke' || op.process === 'nemesis') continue;
    (out[String(op.process)] ??= []).push({ f: op.f, value: op.value, ...(op.node ? { node: op.node } : {}) });
  }
  return out;
}

/** A readable summary for failure messages: status, reason, the first anomalies and the stats. */
export function summary(run: FinishedRun): string {
  const v = run.doc.verdict;
  return JSON.stringify({
    status: run.doc.status,
    reason: run.doc.reason,
    anomalies: v?.anomalies.slice(0, 5),
    stats: v?.stats,
  }).slice(0, 4000);
}
