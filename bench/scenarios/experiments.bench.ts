/**
 * Experiments: how fast the checkers judge a history, and what recording a history costs.
 *
 * - checker_ops_per_s: each lab's checker on a generated, correct 1M-op history (simulateHistory
 *   over the lab's sequential model: concurrent, with info ops), timed in this process on one core.
 * - recorded_vs_plain: the same closed-loop load on a lab node (bank GET /accounts, the lab's
 *   read of every balance, the cheapest op an experiment issues), once plain and once with every
 *   op recorded as the runner records it (invoke + completion, group-committed to
 *   experiments.ops in the bench database); the ratio of the two throughputs.
 */
import { Agent, request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import type { CheckContext, HistoryOp, Verdict } from '../../src/platform/experiments/experiment.contract';
import { HistoryRecorder } from '../../src/platform/experiments/history-recorder';
import { insertOps } from '../../src/platform/experiments/persistence/experiment.repository';
import { HistoryModel, simulateHistory } from '../../src/platform/experiments/testing/history-simulator';
import { checkBankHistory } from '../../src/labs/bank/domain/bank-history.checker';
import { BANK_MODEL_INITIAL, bankModel } from '../../src/labs/bank/domain/bank-history.model';
import { checkBookingHistory } from '../../src/labs/booking/domain/booking-history.checker';
import { bookingModel } from '../../src/labs/booking/domain/booking-history.model';
import { BENCH_ENV, nodeUrl } from '../lib/app';
import { measured, Measured } from '../lib/stats';

/** A lab's checker with the model that generates its correct histories; labs add theirs here. */
export interface CheckerBench {
  lab: string;
  model: HistoryModel<any>;
  check: (history: readonly HistoryOp[], context: CheckContext) => Verdict;
  context: CheckContext;
  processes: number;
  infoRate: number;
}

export const CHECKER_BENCHES: CheckerBench[] = [
  {
    lab: 'booking',
    model: bookingModel,
    check: checkBookingHistory,
    context: { strategy: 'pessimistic', params: {}, setup: {} },
    processes: 8,
    infoRate: 0.001,
  },
  {
    lab: 'bank',
    model: bankModel,
    check: checkBankHistory,
    context: { strategy: 'safe', params: {}, setup: { initial: BANK_MODEL_INITIAL } },
    processes: 8,
    infoRate: 0.001,
  },
];

export interface CheckerFigures {
  ops: number;
  /** Per second of this process's CPU time (user + system): one core's worth, whatever else runs on the machine. */
  ops_per_s: Measured;
  /** Per wall-clock second (lower when the machine is shared). */
  wall_ops_per_s: Measured;
  valid: string;
}

export interface ExperimentsBenchResult {
  history_ops: number;
  checkers: Record<string, CheckerFigures>;
  /** The slowest lab's median: the key figure. */
  checker_ops_per_s: number;
  recording: { concurrency: number; seconds: number; plain_ops_per_s: Measured; recorded_ops_per_s: Measured; inserts_per_s: Measured };
  recorded_vs_plain: number;
  recorded_vs_plain_spread: Measured;
}

export async function benchExperiments(options: {
  reps: number;
  historyOps: number;
  durationMs: number;
  concurrency: number;
  /** Skip the part that needs the app (checkers only). */
  withApp: boolean;
}): Promise<ExperimentsBenchResult> {
  const checkers: Record<string, CheckerFigures> = {};
  for (const bench of CHECKER_BENCHES) checkers[bench.lab] = benchChecker(bench, options.historyOps, options.reps);
  const slowest = Math.min(...Object.values(checkers).map((c) => c.ops_per_s.median));

  let recording: ExperimentsBenchResult['recording'] = {
    concurrency: options.concurrency,
    seconds: options.durationMs / 1000,
    plain_ops_per_s: measured([Number.NaN]),
    recorded_ops_per_s: measured([Number.NaN]),
    inserts_per_s: measured([Number.NaN]),
  };
  let ratios = measured([Number.NaN]);
  if (options.withApp) {
    const r = await benchRecording(options.reps, options.durationMs, options.concurrency);
    recording = r.recording;
    ratios = r.ratios;
  }
  return {
    history_ops: options.historyOps,
    checkers,
    checker_ops_per_s: slowest,
    recording,
    recorded_vs_plain: ratios.median,
    recorded_vs_plain_spread: ratios,
  };
}

function benchChecker(bench: CheckerBench, ops: number, reps: number): CheckerFigures {
  // Client ops: a final op or two come on top; the figure is over the real history length.
  const { history } = simulateHistory(bench.model, { seed: 1, processes: bench.processes, ops: Math.floor(ops / 2), infoRate: bench.infoRate });
  const rates: number[] = [];
  const wallRates: number[] = [];
  let valid = '';
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const verdict = bench.check(history, bench.context);
    const cpu = process.cpuUsage(cpu0);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push(history.length / ((cpu.user + cpu.system) / 1e6));
    wallRates.push(history.length / wall);
    valid = String(verdict.valid);
  }
  return { ops: history.length, ops_per_s: measured(rates), wall_ops_per_s: measured(wallRates), valid };
}

async function benchRecording(reps: number, durationMs: number, concurrency: number) {
  const pool = new Pool({ connectionString: BENCH_ENV.DATABASE_URL, max: 4 });
  const url = `${nodeUrl(8100)}/accounts`;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const plain: number[] = [];
  const recorded: number[] = [];
  const inserts: number[] = [];
  const ratios: number[] = [];
  try {
    await loop(url, agent, concurrency, 1000, undefined); // warm-up
    for (let rep = 0; rep < reps; rep++) {
      // Alternate the order so a drift of the machine does not favour one side.
      const order = rep % 2 === 0 ? (['plain', 'recorded'] as const) : (['recorded', 'plain'] as const);
      const got: Record<string, number> = {};
      for (const mode of order) {
        if (mode === 'plain') {
          got.plain = (await loop(url, agent, concurrency, durationMs, undefined)).opsPerS;
        } else {
          const id = randomUUID();
          await pool.query(
            `INSERT INTO experiments.experiments (id, lab, strategy, workload, nemesis, schedule, seed, params, status)
             VALUES ($1, 'bank', 'bench', 'bench', '"none"', '[]', 0, '{}', 'aborted')`,
            [id],
          );
          let statements = 0;
          const recorder = new HistoryRecorder(id, {
            appendOps: (experimentId, ops) => {
              statements++;
              return insertOps(pool, experimentId, ops);
            },
          });
          const r = await loop(url, agent, concurrency, durationMs, recorder);
          await recorder.drain();
          got.recorded = r.opsPerS;
          inserts.push(statements / r.seconds);
          await pool.query('DELETE FROM experiments.experiments WHERE id = $1', [id]);
        }
      }
      plain.push(got.plain);
      recorded.push(got.recorded);
      ratios.push(got.recorded / got.plain);
    }
  } finally {
    agent.destroy();
    await pool.end();
  }
  return {
    recording: {
      concurrency,
      seconds: durationMs / 1000,
      plain_ops_per_s: measured(plain),
      recorded_ops_per_s: measured(recorded),
      inserts_per_s: measured(inserts),
    },
    ratios: measured(ratios),
  };
}

/** `concurrency` logical processes, each issuing its next read when the previous one answered. */
async function loop(url: string, agent: Agent, concurrency: number, durationMs: number, recorder: HistoryRecorder | undefined) {
  const deadline = Date.now() + durationMs;
  const started = process.hrtime.bigint();
  let done = 0;
  const worker = async (p: number) => {
    while (Date.now() < deadline) {
      recorder?.record({ type: 'invoke', process: p, f: 'read', value: null, node: 'bank' });
      const { status, body } = await get(url, agent);
      if (recorder) {
        if (status === 200) recorder.record({ type: 'ok', process: p, f: 'read', value: balancesOf(body), node: 'bank' });
        else recorder.record({ type: 'info', process: p, f: 'read', value: null, node: 'bank', error: `HTTP ${status}` });
      } else if (status === 200) {
        balancesOf(body); // the same parsing work without the recording
      }
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, p) => worker(p)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { opsPerS: done / seconds, seconds };
}

function balancesOf(body: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of (JSON.parse(body) as { accounts: Array<{ id: string; balance: number }> }).accounts) out[a.id] = a.balance;
  return out;
}

function get(url: string, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}
