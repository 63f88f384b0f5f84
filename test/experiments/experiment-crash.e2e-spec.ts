import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { RunningApp } from '../../src/bootstrap';
import { startApp } from '../utils/app';
import { eventually } from '../utils/concurrency';
import { freePort } from '../utils/ports';
import { ExperimentClient, withDatabase } from './experiment-client';

const ROOT = join(__dirname, '..', '..');

/** The real app in its own OS process, so it can be killed like a crashed server (SIGKILL: no shutdown hook runs). */
async function spawnApp(port: number): Promise<ChildProcess> {
  const shift = Number(process.env.NODE_PORTS_SHIFT ?? 20000) + 600;
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, LABS: 'booking', PORT: String(port), NODE_PORTS_SHIFT: String(shift), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`the app exited (${child.exitCode}): ${stderr}`);
      return fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.ok,
        () => false,
      );
    },
    (up) => up,
    { timeoutMs: 90_000, intervalMs: 250 },
  );
  return child;
}

describe('an experiment whose app is killed mid-run', () => {
  let child: ChildProcess | undefined;
  let app: RunningApp | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await app?.close();
  });

  it('loses no recorded op and reads aborted after the restart, never valid', async () => {
    const port = await freePort();
    child = await spawnApp(port);
    const remote = new ExperimentClient(`http://127.0.0.1:${port}`);
    const id = await remote.start({
      lab: 'booking',
      strategy: 'fenced',
      ops: 5000,
      rate: 40,
      duration_ms: 120000,
      seed: 5,
    });
    await eventually(
      () => remote.document(id),
      (doc) => doc.ops_recorded >= 40,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const seen = (await remote.history(id)).length; // what the runner had recorded at this moment
    await new Promise((resolve) => setTimeout(resolve, 300)); // more than one group commit
    child.kill('SIGKILL');
    await new Promise((resolve) => child!.once('exit', resolve));

    const url = process.env.DATABASE_URL!;
    const stored = await withDatabase(url, async (db) => {
      const exp = (await db.query('SELECT status FROM experiments.experiments WHERE id = $1', [id])).rows[0];
      const ops = (await db.query('SELECT idx FROM experiments.ops WHERE experiment_id = $1 ORDER BY idx', [id])).rows;
      return { status: exp.status as string, indices: ops.map((r: { idx: number }) => r.idx) };
    });
    expect(stored.status).toBe('running'); // nobody judged it: the process died
    expect(stored.indices.length).toBeGreaterThanOrEqual(seen);
    expect(stored.indices).toEqual(stored.indices.map((_, i) => i)); // a dense prefix: no hole

    app = await startApp({ LABS: 'booking' });
    const local = new ExperimentClient(app.url);
    const doc = await eventually(
      () => local.document(id),
      (d) => d.status !== 'running',
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(doc.status).toBe('aborted');
    expect(doc.verdict).toBeNull();
    expect(doc.ops_recorded).toBe(stored.indices.length);
    expect((await local.history(id)).length).toBe(stored.indices.length);
  });
});
