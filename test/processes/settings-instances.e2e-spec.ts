import { eventually } from '../utils/concurrency';
import { Supervised, startSupervisor } from './process-kit';

type Body = Record<string, any>;

const INSTANCES = 3;
const READS = 12;

/**
 * A settings change reaches every instance at once: three processes of the orders consumer behind
 * the balancer, one POST (which the balancer gives to one of them), and every process applies it
 * — its Kafka consumer rebuilt in the new processing mode, the crash point armed or disarmed —
 * because every write is announced on a Redis channel every process listens to (SettingsBus).
 * Without the announcement, two of the three would go on with what they had built.
 */
describe(`settings across ${INSTANCES} instances (LAB_PROCESSES=1 LAB_INSTANCES=orders=${INSTANCES})`, () => {
  let sup: Supervised;
  let C: string;

  const call = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, pid: Number(res.headers.get('x-lab-pid')), body: (await res.json()) as Body };
  };

  /** READS GETs of /config through the balancer, one after another: what each answering process has applied. */
  async function readAll(): Promise<{ pids: Set<number>; applied: Body[] }> {
    const answers = [];
    for (let i = 0; i < READS; i++) answers.push(await call('GET', `${C}/config`));
    for (const a of answers) expect(a.status).toBe(200);
    return {
      pids: new Set(answers.map((a) => a.pid)),
      applied: answers.map((a) => ({ pid: a.pid, stored: a.body.processing_mode, ...a.body.in_effect })),
    };
  }

  /** Bounded wait until every answer, from every one of the instances, shows `accept`. */
  async function everyInstance(accept: (applied: Body) => boolean): Promise<Set<number>> {
    const last = await eventually(readAll, (r) => r.pids.size === INSTANCES && r.applied.every(accept), {
      timeoutMs: 90_000,
      intervalMs: 300,
    });
    return last.pids;
  }

  beforeAll(async () => {
    sup = await startSupervisor({ LABS: 'orders:consumer', LAB_INSTANCES: `orders=${INSTANCES}` });
    C = `http://127.0.0.1:${sup.ports.get('orders:consumer')}`;
    expect((await call('POST', `${sup.url}/admin/labs/orders/reset`)).status).toBe(200);
    // The lab's default (exactly-once) in every instance.
    await everyInstance(
      (a) => a.stored === 'exactly-once' && a.processing_mode === 'exactly-once' && a.crash_armed === null,
    );
  }, 300_000);

  afterAll(async () => {
    if (sup) {
      await call('POST', `${sup.url}/admin/labs/orders/reset`).catch(() => undefined);
      await sup.terminate();
    }
  });

  it(`runs ${INSTANCES} consumer processes, and the balancer spreads reads over them`, async () => {
    const views = await sup.processes();
    expect(views.filter((v) => v.node === 'consumer' && v.state === 'up')).toHaveLength(INSTANCES);
    expect((await readAll()).pids.size).toBe(INSTANCES);
  });

  it('one POST /config through the balancer: every instance rebuilds its Kafka consumer in the new mode', async () => {
    const changed = await call('POST', `${C}/config`, { processing_mode: 'at-least-once' });
    expect(changed.status).toBe(200);
    const pids = await everyInstance((a) => a.stored === 'at-least-once' && a.processing_mode === 'at-least-once');
    expect(pids.size).toBe(INSTANCES);
  }, 120_000);

  it('one strategy selection on the main port (served by one process of the lab): every instance follows', async () => {
    const selected = await call('POST', `${sup.url}/admin/labs/orders/strategies/processing`, {
      strategy: 'at-most-once',
    });
    expect(selected.status).toBe(200);
    await everyInstance((a) => a.processing_mode === 'at-most-once');
  }, 120_000);

  it('a crash point armed with one POST is armed in every instance, and disarmed the same way', async () => {
    expect((await call('POST', `${C}/config`, { crash_after_messages: 5, crash_point: 'after-db-write' })).status).toBe(
      200,
    );
    await everyInstance((a) => a.crash_armed?.point === 'after-db-write' && a.crash_armed?.after_messages === 5);
    expect((await call('POST', `${C}/config`, { crash_after_messages: 0 })).status).toBe(200);
    await everyInstance((a) => a.crash_armed === null);
    // Nothing crashed: arming is not firing.
    expect((await sup.processes()).every((v) => v.restarts === 0)).toBe(true);
  }, 120_000);
});
