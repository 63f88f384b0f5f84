import { runConcurrently } from '../utils/concurrency';
import { Supervised, startSupervisor } from './process-kit';

const TRIALS = 5;

/**
 * Two bank processes behind the balancer: the two transfers of a pair land on different
 * instances, and the barrier (held in Redis under the supervisor) still meets them: the double
 * spend 5 of 5 in vulnerable mode; safe mode still holds.
 */
describe('bank with 2 instances (LAB_PROCESSES=1 LAB_INSTANCES=bank=2): one barrier across instances', () => {
  let sup: Supervised;
  let base: string;
  const post = async (path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const balances = async () => {
    const body = (await (await fetch(`${base}/accounts`)).json()) as { accounts: { id: string; balance: number }[] };
    return Object.fromEntries(body.accounts.map((a) => [a.id, a.balance]));
  };
  const racePair = async () => {
    expect((await post('/reset')).status).toBe(200);
    const responses = await runConcurrently(2, (i) =>
      post('/transfer', { from_account: 'alice', to_account: i === 0 ? 'bob' : 'charlie', amount: 800 }),
    );
    for (const r of responses) expect(r.status).toBe(200);
    return responses.map((r) => r.body);
  };

  beforeAll(async () => {
    sup = await startSupervisor({ LABS: 'bank', LAB_INSTANCES: 'bank=2' });
    base = `http://127.0.0.1:${sup.ports.get('bank:bank')}`;
    const set = await post('/admin/settings', {
      transfer_strategy: 'vulnerable',
      delay_enabled: false,
      barrier_enabled: true,
      barrier_count: 2,
      barrier_timeout_ms: 10000,
    });
    expect(set.status).toBe(200);
  }, 300_000);

  afterAll(async () => {
    if (sup) {
      await post('/admin/settings', { transfer_strategy: 'vulnerable', barrier_enabled: false }).catch(() => undefined);
      await sup.terminate();
    }
  });

  it('runs two bank processes', async () => {
    expect((await sup.processes()).filter((p) => p.lab === 'bank' && p.state === 'up')).toHaveLength(2);
  });

  it(`vulnerable: the pair meets at the shared barrier and alice ends at -600 in ${TRIALS} of ${TRIALS}`, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const logs = await racePair();
      for (const log of logs) expect(log.barrier).toMatchObject({ status: 'released' });
      expect(logs.map((l) => l.status)).toEqual(['success', 'success']);
      expect((await balances()).alice).toBe(-600);
    }
  });

  it(`safe: with the shared barrier still on, one success and one failure, alice at 200, ${TRIALS} of ${TRIALS}`, async () => {
    expect((await post('/admin/settings', { transfer_strategy: 'safe' })).status).toBe(200);
    for (let trial = 0; trial < TRIALS; trial++) {
      const logs = await racePair();
      for (const log of logs) expect(log.barrier).toMatchObject({ status: 'released' });
      expect(logs.map((l) => l.status).sort()).toEqual(['failed_insufficient_funds', 'success']);
      expect((await balances()).alice).toBe(200);
    }
  });
});
