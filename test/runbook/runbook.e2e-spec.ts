import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import type { RunningApp } from '../../src/bootstrap';
import { startApp } from '../utils/app';
import {
  BlockResult,
  CURL_WRAPPER,
  PortMap,
  RunbookBlock,
  evaluate,
  parseRunbook,
  rewritePorts,
  tail,
  validateRunbook,
  withoutMarkers,
} from './runbook-parser';

/**
 * RUNBOOK.md, executed: every block not marked `runner: skip` runs in document order against the
 * app with all five labs (real PostgreSQL, Redis, Kafka), with its ports pointed at this run's
 * shifted ports, and is judged by the expectations written under it. See test/runbook/README.md.
 */
/** RUNBOOK_FILE runs another copy, e.g. to watch a deliberately broken block fail. */
const RUNBOOK_PATH = process.env.RUNBOOK_FILE ?? join(__dirname, '..', '..', 'RUNBOOK.md');
const blocks = parseRunbook(readFileSync(RUNBOOK_PATH, 'utf8'));
const runnable = blocks.filter((b) => b.directives.skip === undefined);
const DEFAULT_TIMEOUT_S = 30;
/** RUNBOOK_VERBOSE=1 prints every block's output, passing or not. */
const VERBOSE = process.env.RUNBOOK_VERBOSE === '1';

function portMap(running: RunningApp): PortMap {
  const shift = running.config.env.NODE_PORTS_SHIFT;
  const map = new Map<number, string>([[3000, new URL(running.url).host]]);
  for (const endpoint of running.config.endpoints) map.set(endpoint.port - shift, `127.0.0.1:${endpoint.port}`);
  return map;
}

function runBlock(block: RunbookBlock, ports: PortMap, workDir: string): Promise<BlockResult> {
  const timeoutMs = (block.directives.timeoutSeconds ?? DEFAULT_TIMEOUT_S) * 1000;
  const script = CURL_WRAPPER + rewritePorts(block.code, ports);
  const httpLog = join(workDir, `${block.index}.http`);
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      detached: true,
      env: { ...process.env, RUNBOOK_HTTP_LOG: httpLog },
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      let http = '';
      try {
        http = readFileSync(httpLog, 'utf8');
      } catch {
        // the block made no HTTP call
      }
      resolve({ exitCode, stdout, stderr, timedOut, http });
    });
  });
}

function report(block: RunbookBlock, failures: string[], result: BlockResult): string {
  return [
    `RUNBOOK.md block "${block.name}" (line ${block.line}, under "${block.heading}") failed:`,
    ...failures.map((f) => `  - ${f}`),
    '--- output (tail) ---',
    tail(withoutMarkers(result.stdout)),
    '--- stderr (tail) ---',
    tail(withoutMarkers(result.stderr), 15),
  ].join('\n');
}

/** The runbook starts from a fresh lab, as the seed's `docker compose down -v && up` did. */
async function freshRedis(): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 2 });
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

describe('RUNBOOK.md: every runnable block against the app with all five labs', () => {
  let running: RunningApp | undefined;
  let ports: PortMap;
  const workDir = mkdtempSync(join(tmpdir(), 'runbook-'));

  beforeAll(async () => {
    await freshRedis();
    running = await startApp({ LABS: 'all' });
    ports = portMap(running);
  }, 120000);

  afterAll(async () => {
    await running?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('is well formed: unique block names, every runnable block checked, Docker/k6 blocks marked skip', () => {
    expect(blocks.length).toBeGreaterThan(0);
    expect(validateRunbook(blocks)).toEqual([]);
  });

  for (const block of runnable) {
    const timeoutMs = (block.directives.timeoutSeconds ?? DEFAULT_TIMEOUT_S) * 1000;
    it(
      `${block.name}`,
      async () => {
        if (!running) throw new Error('the app did not start');
        const result = await runBlock(block, ports, workDir);
        if (VERBOSE)
          process.stdout.write(`\n=== ${block.name} (exit ${result.exitCode})\n${withoutMarkers(result.stdout)}\n`);
        const failures = evaluate(block, result);
        if (failures.length > 0) throw new Error(report(block, failures, result));
      },
      timeoutMs + 15000,
    );
  }
});
