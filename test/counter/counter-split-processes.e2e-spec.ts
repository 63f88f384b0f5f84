import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { RunningApp } from '../../src/bootstrap';
import { startApp } from '../utils/app';
import { eventually, portOpen } from '../utils/concurrency';
import { get, post } from '../utils/http';
import {
  GATEWAY,
  REGION_URL,
  SHIFT,
  dropOldCounterKeys,
  forceSyncAll,
  regionCounter,
  resetLab,
  setSyncInterval,
  unique,
} from './counter-test-kit';

/**
 * Nodes talk over the network only: us-east runs in its own OS process (LABS=counter:us-east),
 * every other node in this one, and they still sync, partition and converge.
 */
describe('counter lab: us-east in a separate process', () => {
  let app: RunningApp;
  let child: ChildProcess;
  let childLog = '';

  beforeAll(async () => {
    const main = join(__dirname, '..', '..', 'src', 'main.ts');
    child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', main], {
      env: { ...process.env, LABS: 'counter:us-east', PORT: '0', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (childLog += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (childLog += d.toString()));
    app = await startApp({
      LABS: 'counter:us-west,counter:eu-west,counter:coordinator,counter:gateway,counter:strong',
    });
    await eventually(
      () => portOpen(8001 + SHIFT),
      (open) => open,
      { timeoutMs: 60000, intervalMs: 250 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nchild output:\n${childLog}`);
    });
    await dropOldCounterKeys(app);
    await resetLab(app);
    await setSyncInterval(200);
  });

  afterAll(async () => {
    await resetLab(app);
    await app.close();
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('syncs across processes, keeps a partition of the remote region for as long as it lasts, and converges after the heal', async () => {
    const name = unique('split');
    expect((await get(`${REGION_URL['us-east']}/health`)).body.region).toBe('us-east');
    expect((await post(`${REGION_URL['us-east']}/increment`, { counter_name: name, amount: 3 })).status).toBe(200);
    await eventually(
      () => regionCounter('us-west', name),
      (c) => c.total_count === 3,
      { timeoutMs: 10000 },
    );

    const cut = await post(`${GATEWAY}/admin/partition/us-east?enabled=true`);
    expect(cut.body).toEqual({ status: 'success', region: 'us-east', network_partition: true });
    expect((await post(`${REGION_URL['us-west']}/increment`, { counter_name: name, amount: 4 })).status).toBe(200);
    expect((await post(`${GATEWAY}/api/increment`, { counter_name: name, amount: 2, routing: 'us-east' })).status).toBe(
      200,
    );
    await new Promise((r) => setTimeout(r, 1500));
    const during = await get(`${GATEWAY}/api/counter/${name}`);
    expect(during.body).toMatchObject({ global_count: 9, convergence: { converged: false } });
    expect(during.body.convergence.lag).toBeGreaterThan(0);
    expect((await regionCounter('us-east', name)).nodes).toEqual({ 'us-east-1': 5 });

    await post(`${GATEWAY}/admin/partition/us-east?enabled=false`);
    await forceSyncAll();
    const after = await get(`${GATEWAY}/api/counter/${name}`);
    expect(after.body).toMatchObject({ global_count: 9, convergence: { converged: true, lag: 0 } });
  });
});
