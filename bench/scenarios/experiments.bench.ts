/**
 * Experiments: how fast the checkers judge a history, and what recording a history costs.
 *
 * - checker_ops_per_s: each lab's checker on a generated, correct 1M-op history (simulateHistory
 *   over the lab's sequential model: concurrent, with info ops), timed in this process on one core.
 * - recorded_vs_plain: the bank experiment's workload (its op mix: 70 % transfers of 1..600 under
 *   `safe`, 30 % reads of every balance) in a closed loop against the bank node, once plain and
 *   once with every op recorded as the runner records it (invoke + completion, group-committed
 *   through the repository's insertOps and ops pool to experiments.ops); the ratio of the two
 *   throughputs. The same with reads only (the cheapest op an experiment issues) is the worst case.
 */
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import type { CheckContext, HistoryOp, Verdict } from '../../src/platform/experiments/experiment.contract';
import { HistoryRecorder } from '../../src/platform/experiments/history-recorder';
import { createOpsPool, insertOps } from '../../src/platform/experiments/persistence/experiment.repository';
import { SeededRng } from '../../src/platform/experiments/rng';
import { HistoryModel, simulateHistory } from '../../src/platform/experiments/testing/history-simulator';
import { checkBankHistory } from '../../src/labs/bank/domain/bank-history.checker';
import { BANK_MODEL_INITIAL, bankModel } from '../../src/labs/bank/domain/bank-history.model';
import { checkBookingHistory } from '../../src/labs/booking/domain/booking-history.checker';
import { bookingModel } from '../../src/labs/booking/domain/booking-history.model';
import { checkCounterHistory } from '../../src/labs/counter/domain/counter-history.checker';
import { counterModel } from '../../src/labs/counter/domain/counter-history.model';
import { checkOrdersHistory } from '../../src/labs/orders/domain/orders-history.checker';
import { ordersModel } from '../../src/labs/orders/domain/orders-history.model';
import { checkReplicationHistory } from '../../src/labs/replication/domain/replication-history.checker';
import { replicationModel } from '../../src/labs/replication/domain/replication-history.model';
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
  {
    lab: 'orders',
    model: ordersModel,
    check: checkOrdersHistory,
    context: { strategy: 'exactly-once', params: {}, setup: {} },
    processes: 8,
    infoRate: 0.001,
  },
  {
    lab: 'counter',
    model: counterModel,
    check: checkCounterHistory,
    // The generated ops carry no node: '' is the one (linearizable) node they all go to.
    context: { strategy: 'crdt-merge', params: {}, setup: { linearizable_nodes: [''] } },
    processes: 8,
    infoRate: 0.001,
  },
  {
    lab: 'replication',
    model: replicationModel,
    check: checkReplicationHistory,
    context: { strategy: 'primary-only', params: {}, setup: {} },
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
  recording: Record<LoadKind, RecordingFigures>;
  recorded_vs_plain: number;
  recorded_vs_plain_spread: Measured;
  /** Reads only: the cheapest op, so recording weighs the most. */
  recorded_vs_plain_reads_only: Measured;
  /** The machine's 1-minute load average when the recording part started (2 cores shared by many). */
  load_average: number;
}

export type LoadKind = 'workload' | 'reads_only';

export interface RecordingFigures {
  concurrency: number;
  seconds: number;
  plain_ops_per_s: Measured;
  recorded_ops_per_s: Measured;
  inserts_per_s: Measured;
  ratio: Measured;
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

  const none = measured([Number.NaN]);
  const empty: RecordingFigures = {
    concurrency: options.concurrency,
    seconds: options.durationMs / 1000,
    plain_ops_per_s: none,
    recorded_ops_per_s: none,
    inserts_per_s: none,
    ratio: none,
  };
  const recording: Record<LoadKind, RecordingFigures> = { workload: empty, reads_only: empty };
  const loadAverage = loadavg()[0];
  if (options.withApp) {
    for (const kind of ['workload', 'reads_only'] as const) {
      recording[kind] = await benchRecording(kind, options.reps, options.durationMs, options.concurrency);
    }
  }
  return {
    history_ops: options.historyOps,
    checkers,
    checker_ops_per_s: slowest,
    recording,
    recorded_vs_plain: recording.workload.ratio.median,
    recorded_vs_plain_spread: recording.workload.ratio,
    recorded_vs_plain_reads_only: recording.reads_only.ratio,
    load_average: loadAverage,
  };
}

function benchChecker(bench: CheckerBench, ops: number, reps: number): CheckerFigures {
  // Client ops: a final op or two come on top; the figure is over the real history length.
  const { history } = simulateHistory(bench.model, {
    seed: 1,
    processes: bench.processes,
    ops: Math.floor(ops / 2),
    infoRate: bench.infoRate,
  });
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

async function benchRecording(
  kind: LoadKind,
  reps: number,
  durationMs: number,
  concurrency: number,
): Promise<RecordingFigures> {
  const pool = new Pool({ connectionString: BENCH_ENV.DATABASE_URL, max: 2 });
  const opsPool = createOpsPool(BENCH_ENV.DATABASE_URL);
  const bank = nodeUrl(8100);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const plain: number[] = [];
  const recorded: number[] = [];
  const inserts: number[] = [];
  const ratios: number[] = [];
  const load = (recorder: HistoryRecorder | undefined, ms: number) =>
    loop(kind, bank, agent, concurrency, ms, recorder);
  try {
    await call(agent, 'POST', `${bank}/admin/settings`, {
      transfer_strategy: 'safe',
      delay_enabled: false,
      barrier_enabled: false,
    });
    await load(undefined, 1000); // warm-up
    for (let rep = 0; rep < reps; rep++) {
      // Alternate the order so a drift of the machine does not favour one side.
      const order = rep % 2 === 0 ? (['plain', 'recorded'] as const) : (['recorded', 'plain'] as const);
      const got: Record<string, number> = {};
      for (const mode of order) {
        await call(agent, 'POST', `${bank}/reset`);
        if (mode === 'plain') {
          got.plain = (await load(undefined, durationMs)).opsPerS;
          continue;
        }
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
            return insertOps(opsPool, experimentId, ops);
          },
        });
        const r = await load(recorder, durationMs);
        await recorder.drain();
        got.recorded = r.opsPerS;
        inserts.push(statements / r.seconds);
        await pool.query('DELETE FROM experiments.experiments WHERE id = $1', [id]);
      }
      plain.push(got.plain);
      recorded.push(got.recorded);
      ratios.push(got.recorded / got.plain);
    }
  } finally {
    await call(agent, 'POST', `${bank}/reset`).catch(() => undefined);
    agent.destroy();
    await pool.end();
    await opsPool.end();
  }
  return {
    concurrency,
    seconds: durationMs / 1000,
    plain_ops_per_s: measured(plain),
    recorded_ops_per_s: measured(recorded),
    inserts_per_s: measured(inserts),
    ratio: measured(ratios),
  };
}

/** `concurrency` logical processes, each issuing its next op when the previous one answered. */
async function loop(
  kind: LoadKind,
  bank: string,
  agent: Agent,
  concurrency: number,
  durationMs: number,
  recorder: HistoryRecorder | undefined,
) {
  const deadline = Date.now() + durationMs;
  const started = process.hrtime.bigint();
  let done = 0;
  const worker = async (p: number) => {
    const rng = new SeededRng(p);
    for (let k = 0; Date.now() < deadline; k++) {
      const op = kind === 'reads_only' ? { f: 'read', value: null } : bankModel.next(rng, p, k);
      recorder?.record({ type: 'invoke', process: p, f: op.f, value: op.value, node: 'bank' });
      const transfer = op.value as { from: string; to: string; amount: number } | null;
      const { status, body } =
        op.f === 'read'
          ? await call(agent, 'GET', `${bank}/accounts`)
          : await call(agent, 'POST', `${bank}/transfer`, {
              from_account: transfer!.from,
              to_account: transfer!.to,
              amount: transfer!.amount,
            });
      // The same reading of the answer either way; only the recording differs.
      const value =
        status === 200 ? (op.f === 'read' ? balancesOf(body) : (JSON.parse(body) as Record<string, unknown>)) : null;
      const type =
        status !== 200 ? 'info' : op.f === 'read' || (value as { status: string }).status === 'success' ? 'ok' : 'fail';
      recorder?.record({ type, process: p, f: op.f, value: value ?? op.value, node: 'bank' });
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, p) => worker(p)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { opsPerS: done / seconds, seconds };
}

function balancesOf(body: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of (JSON.parse(body) as { accounts: Array<{ id: string; balance: number }> }).accounts)
    out[a.id] = a.balance;
  return out;
}

function call(
  agent: Agent,
  method: 'GET' | 'POST',
  url: string,
  json?: unknown,
): Promise<{ status: number; body: string }> {
  const payload = json === undefined ? undefined : JSON.stringify(json);
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end(payload);
  });
}
