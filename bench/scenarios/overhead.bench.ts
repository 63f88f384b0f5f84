import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { runLoad } from '../lib/load';
import { Measured, repeat } from '../lib/stats';

export interface OverheadResult {
  express: Record<'throughput' | 'p99_ms', Measured>;
  nest: Record<'throughput' | 'p99_ms', Measured>;
  nest_full: Record<'throughput' | 'p99_ms', Measured>;
  nest_full_vs_express: number;
}

const MODES = ['express', 'nest', 'nest-full'] as const;

function startServer(mode: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(__dirname, 'overhead-servers.ts'), mode, String(port)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${mode} server did not start`)), 60000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
}

/**
 * requests/s for the same JSON route as bare Express, as bare Nest, and as Nest with validation,
 * metrics and tracing. The three servers run at once and are measured in interleaved rounds, so
 * a busy machine slows all three alike.
 */
export async function benchOverhead(opts: {
  reps: number;
  durationMs: number;
  concurrency: number;
}): Promise<OverheadResult> {
  const base = 39000;
  const servers = await Promise.all(MODES.map((mode, i) => startServer(mode, base + i)));
  try {
    const body = (i: number) => ({ name: `n${i}`, value: i });
    for (const [i] of MODES.entries()) {
      await runLoad({
        url: `http://127.0.0.1:${base + i}/echo`,
        body,
        concurrency: opts.concurrency,
        durationMs: 1000,
      });
    }
    const results = await repeat(opts.reps, async () => {
      const round: Record<string, number> = {};
      for (const [i, mode] of MODES.entries()) {
        const r = await runLoad({
          url: `http://127.0.0.1:${base + i}/echo`,
          body,
          concurrency: opts.concurrency,
          durationMs: opts.durationMs,
        });
        if (r.errors || r.non2xx) throw new Error(`${mode}: ${r.errors} errors, ${r.non2xx} non-2xx`);
        round[`${mode}.throughput`] = r.throughput;
        round[`${mode}.p99_ms`] = r.p99_ms;
      }
      round.ratio = round['nest-full.throughput'] / round['express.throughput'];
      return round;
    });
    const pick = (mode: string) => ({ throughput: results[`${mode}.throughput`], p99_ms: results[`${mode}.p99_ms`] });
    return {
      express: pick('express'),
      nest: pick('nest'),
      nest_full: pick('nest-full'),
      nest_full_vs_express: results.ratio.median,
    };
  } finally {
    for (const s of servers) s.kill('SIGTERM');
  }
}
