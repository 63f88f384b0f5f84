import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { freePort } from './ports';

const ROOT = join(__dirname, '..', '..');

/** The Prometheus binary; scripts/prometheus.sh installs the OS package when it is missing. */
export function prometheusBinary(): string {
  const result = spawnSync('bash', [join(ROOT, 'scripts', 'prometheus.sh')], { encoding: 'utf8', timeout: 300_000 });
  const lines = result.stdout.trim().split('\n');
  if (result.status !== 0 || !lines[lines.length - 1]) {
    throw new Error(`scripts/prometheus.sh failed (status ${result.status}):\n${result.stderr}`);
  }
  return lines[lines.length - 1];
}

export interface PromSample {
  metric: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
}

export interface PromQueryResult {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: 'vector' | 'matrix' | 'scalar' | 'string'; result: PromSample[] | [number, string] };
}

export interface RunningPrometheus {
  url: string;
  /** Instant query through the HTTP API (/api/v1/query), at `time` (unix seconds) or now. */
  query(expr: string, time?: number): Promise<PromQueryResult>;
  /** Unix time (seconds) of the last successful scrape of every target, or undefined before the first. */
  lastScrape(): Promise<number | undefined>;
  stop(): Promise<void>;
}

/**
 * Runs a throwaway Prometheus on a free loopback port: the repo's observability/prometheus/prometheus.yml
 * with its targets pointed at `targets` and every interval set to `scrapeInterval`, in a temp data dir.
 */
export async function startPrometheus(targets: string[], scrapeInterval = '1s'): Promise<RunningPrometheus> {
  const binary = prometheusBinary();
  const dir = mkdtempSync(join(tmpdir(), 'labs-prometheus-'));
  const config = parse(readFileSync(join(ROOT, 'observability', 'prometheus', 'prometheus.yml'), 'utf8')) as {
    global?: Record<string, unknown>;
    scrape_configs: Array<{ static_configs?: Array<{ targets: string[] }>; scrape_interval?: string }>;
  };
  config.global = { ...config.global, scrape_interval: scrapeInterval, evaluation_interval: scrapeInterval };
  for (const job of config.scrape_configs) {
    delete job.scrape_interval;
    for (const group of job.static_configs ?? []) group.targets = targets;
  }
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode}:\n${output}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready on ${url} within 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const query = async (expr: string, time?: number): Promise<PromQueryResult> => {
    const body = new URLSearchParams({ query: expr });
    if (time !== undefined) body.set('time', String(time));
    const res = await fetch(`${url}/api/v1/query`, { method: 'POST', body });
    return (await res.json()) as PromQueryResult;
  };

  const lastScrape = async () => {
    const result = await query('min(timestamp(up == 1))');
    const sample = Array.isArray(result.data?.result) ? (result.data!.result as PromSample[])[0] : undefined;
    return sample?.value ? Number(sample.value[1]) : undefined;
  };

  return { url, query, lastScrape, stop };
}
