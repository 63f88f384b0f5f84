import type { RunningApp } from '../../src/bootstrap';
import type { HistoryOp } from '../../src/platform/experiments/experiment.contract';
import { startApp } from '../utils/app';
import { ExperimentClient, withDatabase } from './experiment-client';

const SEED = 4242;

describe('bank experiment (LABS=bank, real PostgreSQL and Redis)', () => {
  let app: RunningApp;
  let experiments: ExperimentClient;

  beforeAll(async () => {
    app = await startApp({ LABS: 'bank' });
    experiments = new ExperimentClient(app.url);
  });
  afterAll(() => app.close());

  /** The named transfers are rows of bank.transfers, with the balances the history says they read and wrote. */
  async function expectRealTransfers(history: HistoryOp[], ops: number[]): Promise<void> {
    const transfers = ops.map((i) => history[i]).filter((op) => op.f === 'transfer' && op.type === 'ok');
    expect(transfers.length).toBeGreaterThan(0);
    await withDatabase(app.config.env.DATABASE_URL, async (db) => {
      for (const op of transfers) {
        const v = op.value as {
          transfer_id: string;
          from: string;
          to: string;
          amount: number;
          from_balance_before: number;
          from_balance_after: number;
        };
        const { rows } = await db.query(
          `SELECT from_account, to_account, amount::float8 AS amount, from_balance_before::float8 AS before,
                  from_balance_after::float8 AS after, status FROM bank.transfers WHERE id = $1`,
          [v.transfer_id],
        );
        expect(rows).toEqual([
          {
            from_account: v.from,
            to_account: v.to,
            amount: v.amount,
            before: v.from_balance_before,
            after: v.from_balance_after,
            status: 'success',
          },
        ]);
      }
    });
  }

  it.each(['vulnerable', 'read-committed'])(
    '%s under the delay is invalid with lost updates (P4) whose transfers are real',
    async (strategy) => {
      const doc = await experiments.run({ lab: 'bank', strategy, nemesis: 'delay', seed: SEED });
      expect(doc.status).toBe('invalid');
      const history = await experiments.history(doc.id);
      const p4 = doc.verdict!.anomalies.filter((a) => a.type === 'lost-update (P4)');
      expect(p4.length).toBeGreaterThan(0);
      await expectRealTransfers(history, p4[0].ops);
    },
  );

  it('vulnerable lets reads see money in flight (total not conserved); read-committed never does', async () => {
    const vulnerable = await experiments.run({
      lab: 'bank',
      strategy: 'vulnerable',
      nemesis: 'barrier',
      seed: SEED,
      read_ratio: 0.5,
    });
    expect(vulnerable.verdict!.stats.anomalies).toHaveProperty('total-not-conserved');
    const anomaly = vulnerable.verdict!.anomalies.find((a) => a.type === 'total-not-conserved')!;
    const history = await experiments.history(vulnerable.id);
    expect(history[anomaly.ops[0]]).toMatchObject({ type: 'ok', f: 'read' });
    const committed = await experiments.run({
      lab: 'bank',
      strategy: 'read-committed',
      nemesis: 'barrier',
      seed: SEED,
      read_ratio: 0.5,
    });
    expect(committed.verdict!.stats.anomalies).not.toHaveProperty('total-not-conserved');
  });

  it.each(['repeatable-read', 'serializable', 'safe'])(
    '%s under the same seed and delay is valid',
    async (strategy) => {
      const doc = await experiments.run({ lab: 'bank', strategy, nemesis: 'delay', seed: SEED });
      expect(doc.verdict!.anomalies).toEqual([]);
      expect(doc.status).toBe('valid');
      expect(doc.verdict!.stats.final_balances_check).toMatch(/^exact/);
    },
  );

  it('leaves delay and barrier as they were', async () => {
    const settings = await (await fetch(`${app.url}/bank/admin/settings`)).json();
    expect(settings).toMatchObject({ delay_enabled: false, barrier_enabled: false });
  });
});
