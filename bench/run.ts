/**
 * npm run bench [-- --quick] [-- --only=overhead,booking]
 * The cost of correctness, measured side by side in one run on this machine. Loopback only;
 * every scenario is bounded in time. Writes bench/results/latest.json and latest.md.
 */
import { cpus, tmpdir, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_ENV, RunningApp, startLabsApp } from './lib/app';
import { fmt, Measured } from './lib/stats';
import { BANK_STRATEGIES, benchBank } from './scenarios/bank.bench';
import { benchBooking, BOOKING_STRATEGIES } from './scenarios/booking.bench';
import { benchBookingInstances } from './scenarios/booking-instances.bench';
import { benchCounter } from './scenarios/counter.bench';
import { benchExperiments } from './scenarios/experiments.bench';
import { benchOrders, ORDER_MODES } from './scenarios/orders.bench';
import { benchOverhead } from './scenarios/overhead.bench';
import { benchReplication } from './scenarios/replication.bench';

const quick = process.argv.includes('--quick');
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const reps = 3;
/** --cpu-prof: profile the app child (a .cpuprofile per run in $TMPDIR/labs-bench-profiles, for Chrome DevTools). */
const profileArgs = process.argv.includes('--cpu-prof')
  ? ['--cpu-prof', `--cpu-prof-dir=${join(tmpdir(), 'labs-bench-profiles')}`]
  : [];

interface Section {
  name: string;
  /** Runs against the labs app (one child process for every such section). */
  needsApp?: boolean;
  /** Starts apps of its own: the LABS=all app is stopped first (the next section that needs it starts it again). */
  ownApps?: boolean;
  run: () => Promise<{ json: Record<string, unknown>; table: string[] }>;
}

/** Per-scenario load durations: --quick keeps the whole run under 5 minutes on 2 cores. */
const ms = (quickMs: number, fullMs: number) => (quick ? quickMs : fullMs);
const target = (value: Measured, op: '≥' | '≤', limit: number) =>
  `**${value.median.toFixed(2)}** (${value.min.toFixed(2)}–${value.max.toFixed(2)}; target ${op} ${limit}: ` +
  `${(op === '≥' ? value.median >= limit : value.median <= limit) ? 'met' : 'MISSED'})`;

const sections: Section[] = [
  {
    name: 'overhead',
    run: async () => {
      const r = await benchOverhead({ reps, durationMs: quick ? 3000 : 8000, concurrency: 32 });
      return {
        json: r as unknown as Record<string, unknown>,
        table: [
          '| server | requests/s | p99 ms |',
          '|---|---|---|',
          `| bare Express | ${fmt(r.express.throughput, 0)} | ${fmt(r.express.p99_ms)} |`,
          `| Nest | ${fmt(r.nest.throughput, 0)} | ${fmt(r.nest.p99_ms)} |`,
          `| Nest + validation + metrics + tracing | ${fmt(r.nest_full.throughput, 0)} | ${fmt(r.nest_full.p99_ms)} |`,
          '',
          `overhead.nest_full_vs_express = **${r.nest_full_vs_express.toFixed(2)}** (target ≥ 0.6)`,
        ],
      };
    },
  },
  {
    name: 'booking',
    needsApp: true,
    run: async () => {
      const r = await benchBooking({ reps, durationMs: ms(1000, 5000), concurrency: 20 });
      const row = (name: string, f: { throughput: Measured; p50_ms: Measured; p99_ms: Measured }) =>
        `| ${name} | ${fmt(f.throughput, 0)} | ${fmt(f.p50_ms)} | ${fmt(f.p99_ms)} |`;
      return {
        json: r as unknown as Record<string, unknown>,
        table: [
          `Concurrency ${r.concurrency}, race window set to 0 ms (the teaching delay, 50 ms by default, is off for throughput).`,
          'Hot seat: every request books A1. Spread: request i books seat i mod 100. The event is reset before every run;',
          'after a seat is taken the later requests are answered `failed` (already booked), as in the lab.',
          '',
          '| strategy | hot seat req/s | p50 ms | p99 ms | spread req/s | p50 ms | p99 ms |',
          '|---|---|---|---|---|---|---|',
          ...BOOKING_STRATEGIES.map((s) => {
            const h = r.hot_seat[s];
            const p = r.spread[s];
            return `| ${s} | ${fmt(h.throughput, 0)} | ${fmt(h.p50_ms)} | ${fmt(h.p99_ms)} | ${fmt(p.throughput, 0)} | ${fmt(p.p50_ms)} | ${fmt(p.p99_ms)} |`;
          }),
          '',
          'CPU per request (ms): the app child / the load generator (spread load) — on 2 shared cores they compete.',
          '',
          '| strategy | app CPU ms/req | load generator CPU ms/req |',
          '|---|---|---|',
          ...BOOKING_STRATEGIES.map(
            (s) =>
              `| ${s} | ${fmt(r.spread[s].app_cpu_ms_per_req, 2)} | ${fmt(r.spread[s].client_cpu_ms_per_req, 2)} |`,
          ),
          '',
          '| pgbench, same pessimistic statements, spread | tps | p50 ms | p99 ms |',
          '|---|---|---|---|',
          row(`pgbench -c ${r.concurrency} -M ${r.pgbench.protocol}`, r.pgbench),
          '',
          `booking.pessimistic_vs_pgbench = ${target(r.pessimistic_vs_pgbench_spread, '≥', 0.5)}`,
        ],
      };
    },
  },
  {
    name: 'booking_instances',
    ownApps: true,
    run: async () => {
      const r = await benchBookingInstances({ reps, durationMs: ms(2000, 5000), concurrency: 20 });
      const row = (
        name: string,
        f: { throughput: Measured; p50_ms: Measured; p99_ms: Measured },
        cpu?: Measured,
        supervisor?: Measured,
      ) =>
        `| ${name} | ${fmt(f.throughput, 0)} | ${fmt(f.p50_ms)} | ${fmt(f.p99_ms)} | ${cpu ? fmt(cpu, 2) : '—'} | ${supervisor ? fmt(supervisor, 2) : '—'} |`;
      return {
        json: r as unknown as Record<string, unknown>,
        table: [
          `Booking pessimistic in process mode (LAB_PROCESSES=1 LABS=booking), concurrency ${r.concurrency}, race window 0 ms, spread load (seat i mod 100), ` +
            'the event reset before each run. 1x: one booking process on the booking port; 2x: LAB_INSTANCES=booking=2, the port being the ' +
            "supervisor's round-robin balancer. pgbench runs the same statements directly against PostgreSQL. " +
            `Load average after the warm-up: ${r.load_average.join(' ')}.`,
          '',
          '| target | req/s (tps) | p50 ms | p99 ms | app CPU ms/req (supervisor + processes) | of which the supervisor |',
          '|---|---|---|---|---|---|',
          row(
            '1 booking process',
            r.instances['1x'],
            r.instances['1x'].app_cpu_ms_per_req,
            r.instances['1x'].supervisor_cpu_ms_per_req,
          ),
          row(
            '2 booking processes behind the balancer',
            r.instances['2x'],
            r.instances['2x'].app_cpu_ms_per_req,
            r.instances['2x'].supervisor_cpu_ms_per_req,
          ),
          row(`pgbench -c ${r.concurrency} -M extended`, r.pgbench),
          '',
          `booking.pessimistic_1x_vs_pgbench = ${target(r.pessimistic_1x_vs_pgbench_spread, '≥', 0.5)}`,
          `booking.pessimistic_2x_vs_pgbench = ${target(r.pessimistic_2x_vs_pgbench_spread, '≥', 0.5)}`,
          `booking.pessimistic_2x_vs_1x = **${r.pessimistic_2x_vs_1x.toFixed(2)}** (${r.pessimistic_2x_vs_1x_spread.min.toFixed(2)}–${r.pessimistic_2x_vs_1x_spread.max.toFixed(2)})`,
        ],
      };
    },
  },
  {
    name: 'bank',
    needsApp: true,
    run: async () => {
      const r = await benchBank({ reps, durationMs: ms(1500, 5000), concurrency: 16 });
      return {
        json: r as unknown as Record<string, unknown>,
        table: [
          `Concurrency ${r.concurrency}, debug delay and barrier off, 0.01 per transfer from alice to bob or charlie (one hot account).`,
          '',
          '| strategy | transfers/s | 2xx/s | p50 ms | p99 ms |',
          '|---|---|---|---|---|',
          ...BANK_STRATEGIES.map((s) => {
            const f = r.strategies[s];
            return `| ${s} | ${fmt(f.throughput, 0)} | ${fmt(f.succeeded, 0)} | ${fmt(f.p50_ms)} | ${fmt(f.p99_ms)} |`;
          }),
        ],
      };
    },
  },
  {
    name: 'orders',
    needsApp: true,
    run: async () => {
      const r = await benchOrders({
        reps,
        durationMs: ms(1500, 5000),
        concurrency: 8,
        batchSize: 25,
        drainTimeoutMs: ms(30000, 60000),
        drainOrders: ms(2000, 6000),
        openRatePerS: 200,
        openDurationMs: ms(3000, 10000),
      });
      const raw = r.raw_kafkajs;
      return {
        json: r as unknown as Record<string, unknown>,
        table: [
          `${r.concurrency} producers in a closed loop posting single orders (batched: ${r.batch_size} orders per POST /orders/batch, one Kafka transaction).`,
          "exactly-once uses the producer's default group commit (`transaction_linger_ms`) on its default pool of transactional producers; 1-producer is the same on one (one transaction in flight); linger-0 is one transaction per order.",
          'Latency: from the POST to the committed row in orders.orders (its created_at); orders/s: orders / (last row − first POST).',
          '',
          '| mode | orders/s (e2e) | POSTed orders/s | e2e p50 ms | e2e p99 ms | produce p99 ms | orders per run | drained |',
          '|---|---|---|---|---|---|---|---|',
          ...ORDER_MODES.flatMap((m) => {
            const f = r.modes[m];
            if (!f) return [];
            return [
              `| ${m} | ${fmt(f.orders_per_s, 0)} | ${fmt(f.posts_per_s, 0)} | ${fmt(f.p50_ms)} | ${fmt(f.p99_ms)} | ${fmt(f.produce_p99_ms)} | ${fmt(f.orders, 0)} | ${f.drained ? 'yes' : 'NO'} |`,
            ];
          }),
          '',
          `Consumer drain (exactly-once, ${r.drain.orders} orders published while the consumer was down, then restarted): ${fmt(r.drain.orders_per_s, 0)} orders/s.`,
          `Open loop, ${r.open_loop.rate_per_s} orders/s offered for ${r.open_loop.seconds} s in exactly-once mode: POST-to-row p50 ${fmt(r.open_loop.p50_ms)} ms, ` +
            `p99 ${fmt(r.open_loop.p99_ms)} ms; POST p99 ${fmt(r.open_loop.produce_p99_ms)} ms; ${r.open_loop.errors} errors or skipped.`,
          '',
          '| raw kafkajs producer in the bench process (no HTTP, no lab) | messages/s |',
          '|---|---|',
          `| acks=all, ${r.concurrency} concurrent single sends | ${fmt(raw.acks_all_msgs_per_s, 0)} |`,
          `| transactional, 1 message per transaction | ${fmt(raw.transaction_per_message_per_s, 0)} |`,
          `| transactional, ${r.concurrency} messages per transaction | ${fmt(raw.transaction_per_8_messages_per_s, 0)} |`,
          '',
          `orders.exactly_once_batched_vs_at_least_once = ${target(r.exactly_once_batched_vs_at_least_once_spread, '≥', 0.5)}`,
          `orders.exactly_once_single_vs_at_least_once = ${target(r.exactly_once_single_vs_at_least_once_spread, '≥', 0.8)}`,
          `orders.consumer_drain_orders_per_s = ${target(r.drain.orders_per_s, '≥', 2000)}`,
          `orders.exactly_once_e2e_p99_ms = ${target(r.open_loop.p99_ms, '≤', 500)}`,
        ],
      };
    },
  },
  {
    name: 'counter',
    needsApp: true,
    run: async () => {
      const r = await benchCounter({ reps, durationMs: ms(1500, 5000), concurrency: 16 });
      const row = (name: string, f: { throughput: Measured; p50_ms: Measured; p99_ms: Measured }) =>
        `| ${name} | ${fmt(f.throughput, 0)} | ${fmt(f.p50_ms)} | ${fmt(f.p99_ms)} |`;
      return {
        json: r as unknown as Record<string, unknown>,
        table: [
          `Concurrency ${r.concurrency}, a fresh counter per run. The strong counter keeps its seed coordination delay ` +
            `(${r.coordination_delay_ms} ms per increment in total).`,
          '',
          '| path | increments/s | p50 ms | p99 ms |',
          '|---|---|---|---|',
          row('gateway (random routing, CRDT)', r.increments.gateway),
          row('directly on us-east (CRDT)', r.increments.region),
          row('strong counter', r.increments.strong),
          '',
          `Heal to convergence (us-east partitioned, 20 increments on each side, healed, no forced sync; anti-entropy every ${r.sync_interval_ms} ms): ` +
            `${fmt(r.heal_to_convergence_ms, 0)} ms measured by the bench, ${fmt(r.gateway_heal_to_convergence_ms, 0)} ms by the gateway.`,
          '',
          `counter.eventual_vs_strong_throughput = **${r.eventual_vs_strong_throughput.toFixed(1)}** ` +
            `(${r.eventual_vs_strong_throughput_spread.min.toFixed(1)}–${r.eventual_vs_strong_throughput_spread.max.toFixed(1)})`,
        ],
      };
    },
  },
  {
    name: 'replication',
    needsApp: true,
    run: async () => {
      const delays = quick ? { replica1: 100, replica2: 300 } : { replica1: 500, replica2: 1500 };
      const appLog = await benchReplication({ reps, writes: 20, delays, engine: 'app-log' });
      if ('unavailable' in appLog) throw new Error(`replication: app-log engine unavailable: ${appLog.unavailable}`);
      // The same writes on PostgreSQL streaming replicas (npm run infra starts them; reported, not fatal, when absent).
      const streaming = await benchReplication({ reps, writes: 20, delays, engine: 'postgres-streaming' });
      const r = appLog;
      const perReplica = (x: typeof appLog) =>
        Object.entries(x.replica_window_error_ms)
          .map(([rep, m]) => `${rep} ${fmt(m)}`)
          .join(', ');
      const row = (x: typeof appLog) =>
        `| ${x.engine} | ${x.configured_slowest_ms} | ${fmt(x.measured_window_ms)} | ${fmt(x.window_max_ms)} | ${fmt(x.window_error_ms_spread)} | ${perReplica(x)} |`;
      return {
        json: {
          ...(r as unknown as Record<string, unknown>),
          streaming_window_error_ms: 'unavailable' in streaming ? null : streaming.window_error_ms,
          engines: { 'app-log': appLog, 'postgres-streaming': streaming },
        },
        table: [
          `POST /write-and-wait on the client node, ${r.writes_per_rep} sequential writes per repetition and engine; configured delays ` +
            `${Object.entries(r.configured_delays_ms)
              .map(([k, v]) => `${k} ${v} ms`)
              .join(', ')}` +
            `${quick ? ' (shortened for --quick; the full run uses the seed delays 500/1500 ms)' : ' (the seed defaults)'}. ` +
            "The window error is |measured − configured|: of the client's window against the slowest delay, and of each " +
            "replica's own visibility window (write timestamp → the moment it had the write) against its delay.",
          '',
          '| engine | configured slowest ms | measured window ms (median) | slowest write ms | window error ms | per-replica window error ms |',
          '|---|---|---|---|---|---|',
          row(appLog),
          'unavailable' in streaming
            ? `| postgres-streaming | not measured: ${streaming.unavailable} | | | | |`
            : row(streaming),
          '',
          `replication.window_error_ms = ${target(r.window_error_ms_spread, '≤', 50)}`,
          '',
          'unavailable' in streaming
            ? 'replication.streaming_window_error_ms = not measured (no streaming standbys)'
            : `replication.streaming_window_error_ms = ${target(streaming.window_error_ms_spread, '≤', 50)}`,
        ],
      };
    },
  },
  {
    name: 'experiments',
    needsApp: true,
    run: async () => {
      const r = await benchExperiments({
        reps,
        historyOps: 1_000_000,
        durationMs: ms(2000, 5000),
        concurrency: 8,
        withApp: true,
      });
      const rec = r.recording.workload;
      return {
        json: r as unknown as Record<string, unknown>,
        table: [
          `Checkers on a generated, correct history of ${r.history_ops.toLocaleString('en-US')} ops per lab (8 processes, 0.1 % info ops), one core, this process.`,
          '',
          '| lab | history ops | checker ops per CPU second | ops per wall second | verdict |',
          '|---|---|---|---|---|',
          ...Object.entries(r.checkers).map(
            ([lab, c]) =>
              `| ${lab} | ${c.ops.toLocaleString('en-US')} | ${fmt(c.ops_per_s, 0)} | ${fmt(c.wall_ops_per_s, 0)} | ${c.valid} |`,
          ),
          '',
          `experiments.checker_ops_per_s (slowest lab) = **${r.checker_ops_per_s.toFixed(0)}** (target ≥ 250000: ${r.checker_ops_per_s >= 250_000 ? 'met' : 'MISSED'})`,
          '',
          `Recording: ${rec.concurrency} processes in a closed loop for ${rec.seconds} s against the bank node, plain, then with every op recorded ` +
            "(invoke + completion, group commit to experiments.ops). Workload: the bank experiment's mix (70 % transfers under `safe`, " +
            `30 % reads of every balance); reads only: the cheapest op, the worst case. Load average at the start: ${r.load_average.toFixed(1)} on ${cpus().length} cores.`,
          '',
          '| load | plain ops/s | recorded ops/s | INSERT statements/s | recorded / plain |',
          '|---|---|---|---|---|',
          ...(['workload', 'reads_only'] as const).map((k) => {
            const f = r.recording[k];
            return `| ${k === 'workload' ? 'bank workload' : 'reads only'} | ${fmt(f.plain_ops_per_s, 0)} | ${fmt(f.recorded_ops_per_s, 0)} | ${fmt(f.inserts_per_s, 0)} | ${fmt(f.ratio, 2)} |`;
          }),
          '',
          `experiments.recorded_vs_plain = ${target(r.recorded_vs_plain_spread, '≥', 0.8)}`,
        ],
      };
    },
  },
];

/** The headline ratios (bench/README.md), also collected flat under `keys` in latest.json. */
const KEYS: Array<[string, string, string?]> = [
  ['overhead.nest_full_vs_express', '≥ 0.6'],
  ['booking.pessimistic_vs_pgbench', '≥ 0.5'],
  ['booking.pessimistic_1x_vs_pgbench', '≥ 0.5', 'booking_instances'],
  ['booking.pessimistic_2x_vs_pgbench', '≥ 0.5', 'booking_instances'],
  ['orders.exactly_once_batched_vs_at_least_once', '≥ 0.5'],
  ['orders.exactly_once_single_vs_at_least_once', '≥ 0.8'],
  ['orders.consumer_drain_orders_per_s', '≥ 2000'],
  ['orders.exactly_once_e2e_p99_ms', '≤ 500'],
  ['counter.eventual_vs_strong_throughput', '—'],
  ['replication.window_error_ms', '≤ 50'],
  ['replication.streaming_window_error_ms', '≤ 50'],
  ['experiments.checker_ops_per_s', '≥ 250000'],
  ['experiments.recorded_vs_plain', '≥ 0.8'],
];

async function main(): Promise<void> {
  const started = new Date();
  const machine = {
    cores: cpus().length,
    cpu: cpus()[0]?.model,
    memory_gib: +(totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
  };
  const json: Record<string, unknown> = { date: started.toISOString(), mode: quick ? 'quick' : 'full', machine };
  const md = [
    `# Benchmark — ${started.toISOString()} (${quick ? 'quick' : 'full'})`,
    '',
    `Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memory_gib} GiB, Node ${machine.node}. ` +
      `Each figure: median of ${reps} repetitions (min–max).`,
  ];
  const selected = sections.filter((s) => !only || only.includes(s.name));
  let app: RunningApp | undefined;
  let appError: Error | undefined;
  let failed = 0;
  try {
    const runStarted = Date.now();
    for (const [index, section] of selected.entries()) {
      const t0 = Date.now();
      const elapsed = ((t0 - runStarted) / 1000).toFixed(0);
      try {
        if (section.ownApps && app) {
          await app.stop();
          app = undefined;
        }
        if (section.needsApp && appError) throw appError;
        if (section.needsApp && !app) {
          process.stderr.write(
            `bench: starting the labs app (LABS=all, port shift ${BENCH_ENV.NODE_PORTS_SHIFT}, database ${new URL(BENCH_ENV.DATABASE_URL).pathname.slice(1)})...\n`,
          );
          app = await startLabsApp({ cwd: join(__dirname, '..'), extraNodeArgs: profileArgs }).catch((err: Error) => {
            appError = err;
            throw err;
          });
          process.stderr.write(`bench: app up in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
        }
        process.stderr.write(
          `bench: [${index + 1}/${selected.length}] ${section.name} started (${Math.round((100 * index) / selected.length)}% done, ${elapsed} s so far)\n`,
        );
        const { json: part, table } = await section.run();
        json[section.name] = part;
        process.stderr.write(
          `bench: [${index + 1}/${selected.length}] ${section.name} finished in ${((Date.now() - t0) / 1000).toFixed(0)} s ` +
            `(${Math.round((100 * (index + 1)) / selected.length)}% done)\n`,
        );
        md.push('', `## ${section.name} (${((Date.now() - t0) / 1000).toFixed(0)} s)`, '', ...table);
      } catch (err) {
        failed += 1;
        const message = err instanceof Error ? err.message : String(err);
        process.stderr.write(`bench: ${section.name} failed: ${err instanceof Error ? err.stack : message}\n`);
        json[section.name] = { error: message };
        md.push('', `## ${section.name}`, '', `FAILED: ${message}`);
      }
    }
  } finally {
    await app?.stop();
  }
  const keys: Record<string, number> = {};
  md.push('', '## Key figures', '', '| key | value | target |', '|---|---|---|');
  for (const [name, goal, from] of KEYS) {
    const [lab, field] = name.split('.');
    const section = from ?? lab;
    const value = (json[section] as Record<string, unknown> | undefined)?.[field];
    if (typeof value !== 'number') continue;
    keys[name] = value;
    md.push(`| ${name} | ${value.toFixed(2)} | ${goal} |`);
  }
  json.keys = keys;
  json.seconds = Math.round((Date.now() - started.getTime()) / 1000);
  md.push('', `Total ${json.seconds} s.`);
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), JSON.stringify(json, null, 2));
  writeFileSync(join(dir, 'latest.md'), md.join('\n') + '\n');
  process.stdout.write(md.join('\n') + '\n');
  if (failed) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
