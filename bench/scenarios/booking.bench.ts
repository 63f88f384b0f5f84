import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BENCH_ENV, cpuMsOf, currentAppPid, nodeUrl } from '../lib/app';
import { call } from '../lib/http';
import { percentile, runLoad } from '../lib/load';
import { Measured, measured } from '../lib/stats';

const run = promisify(execFile);

export const BOOKING_STRATEGIES = ['none', 'pessimistic', 'optimistic', 'distributed', 'fenced'] as const;
type Figures = Record<'throughput' | 'p50_ms' | 'p99_ms', Measured>;
/** Where the CPU goes per request: the app child's and the load generator's CPU time. */
type AppFigures = Figures & Record<'app_cpu_ms_per_req' | 'client_cpu_ms_per_req', Measured>;

export interface BookingResult {
  concurrency: number;
  race_window_ms: number;
  hot_seat: Record<string, AppFigures>;
  spread: Record<string, AppFigures>;
  pgbench: Figures & { protocol: string };
  /** The key figure: the median of the repetitions (pessimistic_vs_pgbench_spread has them all). */
  pessimistic_vs_pgbench: number;
  pessimistic_vs_pgbench_spread: Measured;
}

/** Seat numbers of the seed event: A1..J10, as booking.restore_seed_event() creates them. */
export const SEATS = Array.from(
  { length: 100 },
  (_, n) => `${String.fromCharCode(65 + Math.floor(n / 10))}${(n % 10) + 1}`,
);

/**
 * What the app does for one POST /book under `pessimistic` (book-seat.service.ts,
 * pessimistic.seat-locking.strategy.ts, booking.repository.ts), statement for statement: find the
 * seat, lock it in a READ COMMITTED transaction, write it when free, then record the attempt
 * (booking.record_success for a write, a 'failed' row otherwise). `:n` picks one of the 100 seats.
 */
const PGBENCH_SCRIPT = `\\set n random(0, 99)
SELECT id AS seat_id FROM booking.seats WHERE event_id = 1 AND seat_number = chr(65 + :n / 10) || (:n % 10 + 1) \\gset
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT is_booked::int AS booked FROM booking.seats WHERE id = :seat_id FOR UPDATE \\gset
\\if :booked = 0
UPDATE booking.seats SET is_booked = TRUE, booked_by = 'pgbench-' || :client_id, booked_at = now(), version = version + 1 WHERE id = :seat_id;
\\endif
COMMIT;
\\if :booked = 0
SELECT recorded_status, seat_booking_count FROM booking.record_success(1, :seat_id, 'pgbench-' || :client_id, 'pgbench', 1.0);
\\else
INSERT INTO booking.bookings (event_id, seat_id, customer_id, status, reason, locking_strategy, duration_ms) VALUES (1, :seat_id, 'pgbench-' || :client_id, 'failed', 'already_booked', 'pgbench', 1.0);
\\endif
`;

/**
 * Per strategy: a hot seat (every requester on A1) and spread load (request i books seat i mod 100),
 * closed loop at `concurrency`, the event reset before every run. Then pgbench runs the pessimistic
 * path at the same concurrency against the same database. Rounds are interleaved (every strategy
 * once, then again) so a busy machine slows all alike. The race window is set to 0 throughout:
 * it is a teaching delay (default 50 ms) that would otherwise dominate every figure.
 */
export async function benchBooking(opts: {
  reps: number;
  durationMs: number;
  concurrency: number;
}): Promise<BookingResult> {
  const base = nodeUrl(8000);
  const reset = () => call('POST', `${base}/admin/reset?event_id=1`);
  await call('POST', `${base}/admin/settings`, { race_window_ms: 0 });
  const raw: Record<string, Array<Record<string, number>>> = {};
  const push = (key: string, r: Record<string, number>) => (raw[key] ??= []).push(r);
  const ratios: number[] = [];
  try {
    for (const strategy of BOOKING_STRATEGIES) {
      await call('POST', `${base}/admin/strategy`, { strategy });
      await reset();
      await runLoad({
        url: `${base}/book`,
        body: (i: number) => book(SEATS[i % 100], i),
        concurrency: opts.concurrency,
        durationMs: 500,
      });
    }
    for (let rep = 0; rep < opts.reps; rep++) {
      let appSpread = 0;
      for (const strategy of BOOKING_STRATEGIES) {
        await call('POST', `${base}/admin/strategy`, { strategy });
        for (const load of ['hot', 'spread'] as const) {
          await reset();
          const appCpuBefore = cpuMsOf(currentAppPid());
          const r = await runLoad({
            url: `${base}/book`,
            body: (i: number) => book(load === 'hot' ? 'A1' : SEATS[i % 100], i),
            concurrency: opts.concurrency,
            durationMs: opts.durationMs,
          });
          if (r.errors || r.non2xx)
            throw new Error(`booking ${strategy}/${load}: ${r.errors} errors, ${r.non2xx} non-2xx`);
          push(`${load}.${strategy}`, {
            throughput: r.throughput,
            p50_ms: r.p50_ms,
            p99_ms: r.p99_ms,
            app_cpu_ms_per_req: (cpuMsOf(currentAppPid()) - appCpuBefore) / Math.max(1, r.requests),
            client_cpu_ms_per_req: r.client_cpu_ms_per_req,
          });
          if (load === 'spread' && strategy === 'pessimistic') appSpread = r.throughput;
        }
      }
      await reset();
      const pg = await pgbench(opts.concurrency, opts.durationMs);
      push('pgbench', pg);
      ratios.push(appSpread / pg.throughput);
    }
  } finally {
    await reset().catch(() => undefined);
    await call('DELETE', `${base}/admin/settings`).catch(() => undefined);
    await call('POST', `${base}/admin/strategy`, { strategy: 'none' }).catch(() => undefined);
  }
  const figures = (key: string): Figures => ({
    throughput: measured(raw[key].map((r) => r.throughput)),
    p50_ms: measured(raw[key].map((r) => r.p50_ms)),
    p99_ms: measured(raw[key].map((r) => r.p99_ms)),
  });
  const appFigures = (key: string): AppFigures => ({
    ...figures(key),
    app_cpu_ms_per_req: measured(raw[key].map((r) => r.app_cpu_ms_per_req)),
    client_cpu_ms_per_req: measured(raw[key].map((r) => r.client_cpu_ms_per_req)),
  });
  return {
    concurrency: opts.concurrency,
    race_window_ms: 0,
    hot_seat: Object.fromEntries(BOOKING_STRATEGIES.map((s) => [s, appFigures(`hot.${s}`)])),
    spread: Object.fromEntries(BOOKING_STRATEGIES.map((s) => [s, appFigures(`spread.${s}`)])),
    pgbench: { ...figures('pgbench'), protocol: 'extended' },
    pessimistic_vs_pgbench: measured(ratios).median,
    pessimistic_vs_pgbench_spread: measured(ratios),
  };
}

export function book(seat: string, i: number) {
  return { event_id: 1, seat_number: seat, customer_id: `bench-${i}` };
}

/** One pgbench run of PGBENCH_SCRIPT; latencies from its per-transaction log. */
export async function pgbench(
  clients: number,
  durationMs: number,
): Promise<{ throughput: number; p50_ms: number; p99_ms: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-pgbench-'));
  try {
    const script = join(dir, 'pessimistic.sql');
    writeFileSync(script, PGBENCH_SCRIPT);
    const db = new URL(BENCH_ENV.DATABASE_URL);
    const { stdout } = await run(
      'pgbench',
      [
        '-n',
        '-M',
        'extended',
        '-f',
        script,
        '-c',
        String(clients),
        '-j',
        '2',
        '-T',
        String(Math.max(1, Math.round(durationMs / 1000))),
        '-l',
        '--log-prefix',
        join(dir, 'tx'),
        '-h',
        db.hostname,
        '-p',
        db.port || '5432',
        '-U',
        db.username || 'postgres',
        db.pathname.slice(1),
      ],
      { timeout: durationMs + 60000, maxBuffer: 16 * 2 ** 20 },
    );
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
    const failed = /number of failed transactions: (\d+)/.exec(stdout);
    if (!tps) throw new Error(`pgbench: no tps in output:\n${stdout}`);
    if (failed && Number(failed[1]) > 0) throw new Error(`pgbench: ${failed[1]} failed transactions`);
    const latencies: number[] = [];
    for (const file of readdirSync(dir).filter((f) => f.startsWith('tx'))) {
      for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
        const us = Number(line.split(' ')[2]);
        if (line && Number.isFinite(us)) latencies.push(us / 1000);
      }
    }
    latencies.sort((a, b) => a - b);
    return { throughput: Number(tps[1]), p50_ms: percentile(latencies, 0.5), p99_ms: percentile(latencies, 0.99) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
