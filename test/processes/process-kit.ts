import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadAppConfig } from '../../src/platform/config/app-config';
import { freePort, waitForFreePorts } from '../utils/ports';

const ROOT = join(__dirname, '..', '..');
const CACHE = join(ROOT, '.cache');
const OUT = join(CACHE, 'processes-build');
const STAMP = join(OUT, '.built-at');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** The app as `npm run build` compiles it, into .cache/processes-build; rebuilt only when a source file is newer. */
export function ensureBuilt(): string {
  const main = join(OUT, 'main.js');
  if (existsSync(STAMP) && existsSync(main) && Number(readFileSync(STAMP, 'utf8')) >= newestSource(join(ROOT, 'src')))
    return main;
  mkdirSync(CACHE, { recursive: true });
  const startedAt = Date.now();
  const tsconfig = join(CACHE, 'tsconfig.processes.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: '../tsconfig.json',
      compilerOptions: { outDir: './processes-build', sourceMap: false },
      include: ['../src/**/*.ts'],
      exclude: ['../node_modules', '../**/*.spec.ts', '../src/console'],
    }),
  );
  const build = spawnSync('npx', ['nest', 'build', '--path', relative(ROOT, tsconfig)], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (build.status !== 0) throw new Error(`nest build failed (${build.status}):\n${build.stdout}\n${build.stderr}`);
  writeFileSync(STAMP, String(startedAt));
  return main;
}

export interface ProcessView {
  lab: string;
  node: string;
  instance: number;
  state: string;
  pid?: number;
  uptime_ms?: number;
  restarts: number;
  last_exit?: { code: number | null; signal: string | null; crash_point?: string };
}

export interface Supervised {
  url: string;
  pid: number;
  child: ChildProcess;
  /** Node ports as the supervisor's config puts them. */
  ports: Map<string, number>;
  output(): string;
  processes(): Promise<ProcessView[]>;
  /** Waits until every process is up (and, if given, `check` holds), bounded. */
  waitUntil(check?: (views: ProcessView[]) => boolean, timeoutMs?: number): Promise<ProcessView[]>;
  /** SIGTERM and wait for the supervisor's exit; resolves its exit code. */
  terminate(): Promise<number | null>;
}

/** Starts the built app with LAB_PROCESSES=1 (node ports shifted by +500) and waits until every process is up. */
export async function startSupervisor(env: Record<string, string>): Promise<Supervised> {
  const main = ensureBuilt();
  const port = await freePort();
  const shift = String(Number(process.env.NODE_PORTS_SHIFT ?? 0) + 500);
  const overrides = { PORT: String(port), NODE_PORTS_SHIFT: shift, LOG_LEVEL: 'warn', LAB_PROCESSES: '1', ...env };
  const config = loadAppConfig({ ...process.env, ...overrides });
  await waitForFreePorts([port, ...config.endpoints.map((e) => e.port)]);
  const child = spawn(process.execPath, [main], {
    cwd: ROOT,
    env: { ...process.env, ...overrides },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-400_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  const url = `http://127.0.0.1:${port}`;
  const processes = async (): Promise<ProcessView[]> => {
    const res = await fetch(`${url}/admin/processes`, { signal: AbortSignal.timeout(5000) });
    return ((await res.json()) as { processes: ProcessView[] }).processes;
  };
  const waitUntil = async (check: (views: ProcessView[]) => boolean = () => true, timeoutMs = 180_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`the supervisor exited with ${child.exitCode}:\n${output.slice(-5000)}`);
      const views = await processes().catch(() => undefined);
      if (views && views.every((v) => v.state === 'up') && check(views)) return views;
      if (Date.now() > deadline)
        throw new Error(`processes not up within ${timeoutMs} ms: ${JSON.stringify(views)}\n${output.slice(-5000)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  await waitUntil();
  return {
    url,
    pid: child.pid!,
    child,
    ports: new Map(config.endpoints.map((e) => [`${e.lab}:${e.node}`, e.port])),
    output: () => output,
    processes,
    waitUntil,
    terminate: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => {
          process.off('exit', reap);
          resolve(code);
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Whether a process with this pid is alive (and not a zombie). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

/** Every live process whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid && alive(p);
      } catch {
        return false;
      }
    });
}
