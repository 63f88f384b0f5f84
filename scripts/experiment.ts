/**
 * npm run experiment -- <lab> [--strategy s] [--nemesis n] [--seed k] [--duration 20s] [--concurrency c]
 *                            [--ops n] [--rate r] [--json] [--url http://127.0.0.1:3000] [--out dir]
 *
 * Runs one experiment against the app at --url (or starts the app itself, with LABS=<lab>, when
 * nothing answers there), shows a progress bar, then the verdict with the first anomalies spelled
 * out and where the history was exported (JSON lines and Jepsen EDN).
 * Exit code: 0 valid, 1 invalid, 2 unknown, aborted or the experiment could not run.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Args {
  lab: string;
  url: string;
  /** Sent as x-admin-token: the app asks for it on admin writes when ADMIN_TOKEN is set there. */
  token?: string;
  json: boolean;
  out: string;
  body: Record<string, unknown>;
}

interface Doc {
  id: string;
  lab: string;
  strategy: string;
  nemesis: unknown;
  seed: number;
  status: string;
  progress: number;
  ops_recorded: number;
  reason?: string;
  verdict: {
    valid: boolean | 'unknown';
    anomalies: Array<{ type: string; explanation: string; ops: number[] }>;
    stats: Record<string, unknown>;
  } | null;
}

const USAGE =
  'usage: npm run experiment -- <lab> [--strategy s] [--nemesis n] [--seed k] [--duration 20s] [--concurrency c] ' +
  '[--ops n] [--rate r] [--json] [--url http://127.0.0.1:3000] [--out dir] [--token t (default $ADMIN_TOKEN)]';
const ROOT = join(__dirname, '..');

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const body: Record<string, unknown> = {};
  let lab: string | undefined;
  let url = 'http://127.0.0.1:3000';
  let json = false;
  let out = join(tmpdir(), 'labs-experiments');
  let token = process.env.ADMIN_TOKEN || undefined;
  const integer = (flag: string, text: string | undefined) => {
    if (text === undefined || !/^\d+$/.test(text)) fail(`${flag} needs a whole number, got ${text ?? 'nothing'}`);
    return Number(text);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--strategy':
      case '--nemesis':
      case '--workload':
        body[flag.slice(2)] = value() ?? fail(`${flag} needs a value`);
        break;
      case '--seed':
        body.seed = integer(flag, value());
        break;
      case '--concurrency':
        body.concurrency = integer(flag, value());
        break;
      case '--ops':
        body.ops = integer(flag, value());
        break;
      case '--rate': {
        const text = value();
        if (!text || !Number.isFinite(Number(text))) fail(`--rate needs a number, got ${text ?? 'nothing'}`);
        body.rate = Number(text);
        break;
      }
      case '--duration':
        body.duration_ms = parseDuration(value());
        break;
      case '--url':
        url = (value() ?? fail('--url needs a value')).replace(/\/$/, '');
        break;
      case '--token':
        token = value() ?? fail('--token needs a value');
        break;
      case '--out':
        out = value() ?? fail('--out needs a directory');
        break;
      case '--json':
        json = true;
        break;
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        if (flag.startsWith('-')) fail(`unknown option ${flag}`);
        if (lab) fail(`one lab only (got ${lab} and ${flag})`);
        lab = flag;
    }
  }
  if (!lab) fail('which lab? e.g. npm run experiment -- booking --strategy none');
  return { lab, url, json, out, token, body: { lab, ...body } };
}

function parseDuration(text: string | undefined): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text ?? '');
  if (!match) fail(`--duration needs a duration like 20s, 1500ms or 1m, got ${text ?? 'nothing'}`);
  const n = Number(match[1]);
  return Math.round(match[2] === 'ms' ? n : match[2] === 'm' ? n * 60_000 : n * 1000);
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1500) });
    return res.status < 500 || res.status === 503;
  } catch {
    return false;
  }
}

/** Starts the app for this lab on the --url port (the built one when there is a build). */
async function startApp(url: string, lab: string): Promise<ChildProcess> {
  const port = new URL(url).port || '80';
  const built = existsSync(join(ROOT, 'dist', 'main.js'));
  const args = built
    ? [join(ROOT, 'dist', 'main.js')]
    : ['-r', 'ts-node/register/transpile-only', join(ROOT, 'src', 'main.ts')];
  process.stderr.write(
    `nothing answers at ${url}: starting the app (LABS=${lab}, ${built ? 'dist/main.js' : 'src/main.ts'})...\n`,
  );
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: port, LABS: lab, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 120_000;
  while (!(await answers(url))) {
    if (child.exitCode !== null) fail(`the app exited with code ${child.exitCode} before answering`);
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      fail('the app did not answer within 120 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return child;
}

function bar(progress: number, ops: number): string {
  const width = 30;
  const filled = Math.round(Math.min(1, progress) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(progress * 100)).padStart(3)}%  ${ops} ops`;
}

/**
 * Follows the experiment's events until `done`, drawing the progress bar on stderr. The app cuts a
 * stream after REQUEST_TIMEOUT_MS; the CLI then reconnects after the last op it got (Last-Event-ID).
 */
async function follow(url: string, id: string, token: string | undefined): Promise<Doc> {
  const tty = process.stderr.isTTY;
  let ops = 0;
  let lastIndex = -1;
  let lastShown = -1;
  for (let attempt = 0; attempt < 50; attempt++) {
    const res = await fetch(`${url}/admin/experiments/${id}/events`, {
      headers: {
        ...(lastIndex >= 0 ? { 'last-event-id': String(lastIndex) } : {}),
        ...(token ? { 'x-admin-token': token } : {}),
      },
    }).catch(() => undefined);
    if (!res || !res.ok || !res.body) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    }
    let buffer = '';
    const decoder = new TextDecoder();
    const reader = res.body.getReader();
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!event || data === undefined) continue;
        if (event === 'op') {
          ops++;
          lastIndex = Number(/^id: (\d+)$/m.exec(block)?.[1] ?? lastIndex);
        }
        if (event === 'progress') {
          const { progress } = JSON.parse(data) as { progress: number };
          const step = Math.floor(progress * 10);
          if (tty) process.stderr.write(`\r${bar(progress, ops)}`);
          else if (step !== lastShown) process.stderr.write(`${bar(progress, ops)}\n`);
          lastShown = step;
        }
        if (event === 'done') {
          const doc = JSON.parse(data) as Doc;
          if (tty) process.stderr.write(`\r${bar(doc.progress, doc.ops_recorded)}\n`);
          await reader.cancel().catch(() => undefined);
          return doc;
        }
      }
    }
  }
  // The app went away for good: the document as it stands (aborted after a restart, or still running).
  return (await (await fetch(`${url}/admin/experiments/${id}`)).json()) as Doc;
}

async function exportHistory(url: string, doc: Doc, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const [suffix, ext] of [
    ['history', 'jsonl'],
    ['history.edn', 'edn'],
  ] as const) {
    const res = await fetch(`${url}/admin/experiments/${doc.id}/${suffix}`);
    const file = join(dir, `${doc.lab}-${doc.strategy}-${doc.id}.${ext}`);
    writeFileSync(file, await res.text());
    files.push(file);
  }
  return files;
}

function printVerdict(doc: Doc, files: string[]): void {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const nemesis =
    typeof doc.nemesis === 'string' ? doc.nemesis : `${(doc.nemesis as unknown[]).length} explicit faults`;
  out(
    `${doc.lab} · strategy ${doc.strategy} · nemesis ${nemesis} · seed ${doc.seed} · ${doc.ops_recorded} ops recorded`,
  );
  out(`verdict: ${doc.status.toUpperCase()}${doc.reason ? ` (${doc.reason})` : ''}`);
  const verdict = doc.verdict;
  if (verdict) {
    const counts = verdict.stats.anomalies as Record<string, number> | undefined;
    if (counts && Object.keys(counts).length > 0) {
      out(
        `anomalies: ${Object.entries(counts)
          .map(([type, n]) => `${n} ${type}`)
          .join(', ')}`,
      );
    }
    for (const anomaly of verdict.anomalies.slice(0, 5))
      out(`  - ${anomaly.type}: ${anomaly.explanation} [ops ${anomaly.ops.join(', ')}]`);
    if (verdict.anomalies.length > 5) out(`  … ${verdict.anomalies.length - 5} more in the document (--json)`);
  }
  out(`history: ${files.join('  ')}`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let child: ChildProcess | undefined;
  const stopChild = async () => {
    if (!child || child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((resolve) => child!.once('exit', resolve));
  };
  process.once('SIGINT', () => void stopChild().then(() => process.exit(2)));
  if (!(await answers(args.url))) child = await startApp(args.url, args.lab);
  let code = 2;
  try {
    const res = await fetch(`${args.url}/admin/experiments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(args.token ? { 'x-admin-token': args.token } : {}) },
      body: JSON.stringify(args.body),
    });
    const answer = (await res.json()) as { id?: string; code?: string; message?: string; details?: unknown };
    if (res.status !== 202 || !answer.id) {
      process.stderr.write(
        `the experiment could not start: ${res.status} ${answer.code ?? ''} ${answer.message ?? ''}\n`,
      );
      if (answer.details) process.stderr.write(`${JSON.stringify(answer.details, null, 2)}\n`);
      return;
    }
    const doc = await follow(args.url, answer.id, args.token);
    const files = await exportHistory(args.url, doc, args.out);
    if (args.json) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    else printVerdict(doc, files);
    if (args.json) process.stderr.write(`history: ${files.join('  ')}\n`);
    code = doc.status === 'valid' ? 0 : doc.status === 'invalid' ? 1 : 2;
  } finally {
    await stopChild();
    process.exitCode = code;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`experiment: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
