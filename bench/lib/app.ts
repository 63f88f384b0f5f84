import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The environment of the app under test: its own database, Redis db, Kafka namespace and port
 * range, so `npm run bench` never touches a running `npm run lab` or the tests. BENCH_PORT,
 * BENCH_NODE_PORTS_SHIFT, BENCH_DATABASE_URL, BENCH_REDIS_URL and BENCH_KAFKA_NAMESPACE move it
 * elsewhere (two benches on one machine).
 */
export const BENCH_ENV = {
  LABS: 'all',
  PORT: process.env.BENCH_PORT ?? '3199',
  DATABASE_URL: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/labs_bench',
  REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/9',
  KAFKA_NAMESPACE: process.env.BENCH_KAFKA_NAMESPACE ?? 'bench',
  NODE_PORTS_SHIFT: process.env.BENCH_NODE_PORTS_SHIFT ?? '30000',
  LOG_LEVEL: 'warn',
} as const;

const SHIFT = Number(BENCH_ENV.NODE_PORTS_SHIFT);

/** `http://127.0.0.1:<plan base + offset + shift>`: a node of the LABS=all port plan (docs/architecture.md). */
export function nodeUrl(base: number, offset = 0): string {
  return `http://127.0.0.1:${base + offset + SHIFT}`;
}

export const PLATFORM_URL = `http://127.0.0.1:${BENCH_ENV.PORT}`;

export interface RunningApp {
  child: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

let current: RunningApp | undefined;
/** Every app child still running (the LABS=all one and any a section starts itself), killed with the bench. */
const children = new Set<RunningApp>();

interface StartOptions {
  cwd: string;
  extraNodeArgs?: string[];
  timeoutMs?: number;
  /** Over BENCH_ENV: another app beside the main one (its own PORT, NODE_PORTS_SHIFT, LABS...). */
  env?: Record<string, string>;
  /** How many labs /health must show up (5 for LABS=all). */
  labs?: number;
  /** Its log file's name in the temp directory. */
  logName?: string;
}

/**
 * Starts the real app as a child process (its own event loop, not the load generator's), waits
 * until /health says every lab is up, and makes sure it dies with the bench (exit, SIGINT, SIGTERM).
 */
export async function startLabsApp(options: StartOptions): Promise<RunningApp> {
  // The node ports (38000-38480) lie in Linux's ephemeral range: a busy machine's outgoing
  // connection can hold one for a moment, so a start that hits EADDRINUSE is retried.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      const log = readLog(logFileOf(options));
      if (attempt >= 12 || !log.includes('EADDRINUSE')) throw err;
      process.stderr.write(`bench: a node port was taken (${/EADDRINUSE[^\n]*/.exec(log)?.[0]}), retrying\n`);
      await sleep(5000);
    }
  }
}

const logFileOf = (options: StartOptions) => join(tmpdir(), options.logName ?? 'labs-bench-app.log');

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

async function startOnce(options: StartOptions): Promise<RunningApp> {
  const env = { ...BENCH_ENV, ...options.env };
  const platformUrl = `http://127.0.0.1:${env.PORT}`;
  const squatter = await fetch(`${platformUrl}/health`, { signal: AbortSignal.timeout(2000) }).then(
    () => true,
    () => false,
  );
  if (squatter) throw new Error(`something already answers on ${platformUrl} (an earlier bench app?); stop it first`);
  const logFile = logFileOf(options);
  const log = createWriteStream(logFile);
  const child = spawn(
    process.execPath,
    [...(options.extraNodeArgs ?? []), '-r', 'ts-node/register/transpile-only', 'src/main.ts'],
    { cwd: options.cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  let exited: number | string | null | undefined;
  child.once('exit', (code, signal) => (exited = code ?? signal));

  const stop = async () => {
    children.delete(running);
    if (exited !== undefined) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
    await gone;
    clearTimeout(timer);
  };
  const running: RunningApp = { child, logFile, stop };
  children.add(running);
  if (!options.env) current = running;

  const deadline = Date.now() + (options.timeoutMs ?? 120000);
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      await new Promise<void>((resolve) => log.end(resolve));
      throw new Error(`app exited during startup (${exited}); see ${logFile}`);
    }
    const health = await fetch(`${platformUrl}/health`, { signal: AbortSignal.timeout(2000) })
      .then((r) => (r.ok ? (r.json() as Promise<{ labs?: Record<string, { status: string }> }>) : undefined))
      .catch(() => undefined);
    const labs = Object.values(health?.labs ?? {});
    if (labs.length === (options.labs ?? 5) && labs.every((l) => l.status === 'up') && exited === undefined)
      return running;
    await sleep(500);
  }
  await stop();
  throw new Error(`app did not become healthy; see ${logFile}`);
}

/** Kills the app if the bench is interrupted or crashes; a normal run calls stop() itself. */
function killOnExit(): void {
  process.once('exit', () => {
    for (const app of children) if (app.child.exitCode === null) app.child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench: ${signal}, stopping the app\n`);
      void Promise.all([...children].map((app) => app.stop())).finally(() => process.exit(130));
    });
  }
}
killOnExit();

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux); NaN elsewhere. */
export function cpuMsOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

export function currentAppPid(): number | undefined {
  return current?.child.pid;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
