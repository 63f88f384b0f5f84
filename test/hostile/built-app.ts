import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadAppConfig } from '../../src/platform/config/app-config';
import { freePort, waitForFreePorts } from '../utils/ports';

const ROOT = join(__dirname, '..', '..');
const CACHE = join(ROOT, '.cache');
const OUT = join(CACHE, 'hostile-build');

/**
 * The app as `npm run build` makes it: compiled by the Nest CLI with the Swagger plugin, so its
 * OpenAPI document carries every DTO's schema (ts-jest compiles file by file, without the plugin,
 * and would serve empty request schemas). Built into .cache/hostile-build, beside nothing else.
 */
export function buildApp(): void {
  mkdirSync(CACHE, { recursive: true });
  const tsconfig = join(CACHE, 'tsconfig.hostile.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: '../tsconfig.json',
      compilerOptions: { outDir: './hostile-build', sourceMap: false },
      include: ['../src/**/*.ts'],
      exclude: ['../node_modules', '../**/*.spec.ts'],
    }),
  );
  const build = spawnSync('npx', ['nest', 'build', '--path', relative(ROOT, tsconfig)], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (build.status !== 0) throw new Error(`nest build failed (${build.status}):\n${build.stdout}\n${build.stderr}`);
}

/** The OpenAPI document of a LABS=all app, as the built app serves it at /docs-json. */
export function builtOpenApiDocument(): unknown {
  const file = join(CACHE, 'hostile-openapi.json');
  const run = spawnSync(process.execPath, [join(OUT, 'openapi.js'), file], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`openapi.js failed (${run.status}):\n${run.stderr}`);
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

export interface BuiltApp {
  url: string;
  /** What the app wrote to stderr (unhandled errors are logged there with their stack). */
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts the built app in its own process (all labs, node ports shifted by +500) and waits until it answers. */
export async function startBuiltApp(env: Record<string, string>): Promise<BuiltApp> {
  const port = await freePort();
  const shift = String(Number(process.env.NODE_PORTS_SHIFT ?? 0) + 500);
  const overrides = { LABS: 'all', PORT: String(port), NODE_PORTS_SHIFT: shift, LOG_LEVEL: 'error', ...env };
  await waitForFreePorts(loadAppConfig({ ...process.env, ...overrides }).endpoints.map((e) => e.port));
  const child: ChildProcess = spawn(process.execPath, [join(OUT, 'main.js')], {
    cwd: ROOT,
    env: { ...process.env, ...overrides },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-200_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Never outlive the test process, however it ends.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the built app exited with ${child.exitCode}:\n${stderr}`);
    const up = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the built app did not answer within 120 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    url,
    stderr: () => stderr,
    stop: async () => {
      process.off('exit', reap);
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
