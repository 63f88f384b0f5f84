import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

/**
 * Private PostgreSQL and Redis servers for tests that freeze or kill a dependency: never the
 * shared ones. `freeze()` (SIGSTOP) stops the server and every process it forked, as a stalled
 * VM would, and `thaw()` (SIGCONT) lets them go on.
 */
export interface PrivateServer {
  url: string;
  port: number;
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
}

const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function group(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    /* already gone */
  }
}

function exited(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      group(child, 'SIGKILL');
      resolve();
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A throwaway cluster (initdb in a temp dir, run as `postgres`, trust auth, loopback only). */
export async function startPrivatePostgres(database = 'labs_test_private'): Promise<PrivateServer> {
  const dir = mkdtempSync(join(tmpdir(), 'labs-pg-'));
  execFileSync('chown', ['postgres', dir]);
  execFileSync(
    'runuser',
    ['-u', 'postgres', '--', `${PG_BIN}/initdb`, '-D', dir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8'],
    {
      stdio: 'ignore',
    },
  );
  const port = await freePort();
  const child = spawn(
    'runuser',
    [
      '-u',
      'postgres',
      '--',
      `${PG_BIN}/postgres`,
      '-D',
      dir,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
    ],
    { detached: true, stdio: 'ignore' },
  );
  const url = `postgres://postgres@127.0.0.1:${port}/${database}`;
  await until('private PostgreSQL', async () => {
    const client = new Client({
      connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
      connectionTimeoutMillis: 1000,
    });
    await client.connect();
    await client.end();
    return true;
  });
  // Every backend makes itself a session leader (setsid), so no process group holds the whole
  // cluster: signal the postmaster first (it forks nothing while stopped), then each of its children.
  const postmaster = Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const cluster = (signal: NodeJS.Signals) => {
    const kill = (pid: number) => {
      try {
        process.kill(pid, signal);
      } catch {
        /* already gone */
      }
    };
    let children: number[] = [];
    try {
      children = execFileSync('pgrep', ['-P', String(postmaster)])
        .toString()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
    } catch {
      /* no children */
    }
    if (signal === 'SIGCONT') [...children, postmaster].forEach(kill);
    else [postmaster, ...children].forEach(kill);
  };
  return {
    url,
    port,
    freeze: () => cluster('SIGSTOP'),
    thaw: () => cluster('SIGCONT'),
    async stop() {
      cluster('SIGCONT');
      group(child, 'SIGCONT');
      cluster('SIGINT');
      await exited(child, 10000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A throwaway redis-server on a free port, without persistence. */
export async function startPrivateRedis(): Promise<PrivateServer> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      detached: true,
      stdio: 'ignore',
    },
  );
  await until('private Redis', () => portAnswers(port));
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    freeze: () => group(child, 'SIGSTOP'),
    thaw: () => group(child, 'SIGCONT'),
    async stop() {
      group(child, 'SIGCONT');
      group(child, 'SIGTERM');
      await exited(child, 5000);
    },
  };
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('error', () => resolve(false));
  });
}
