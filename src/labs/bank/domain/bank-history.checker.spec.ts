import fc from 'fast-check';
import type { HistoryOp } from '../../../platform/experiments/experiment.contract';
import { HistoryBuilder } from '../../../platform/experiments/testing/history-builder';
import { simulateHistory } from '../../../platform/experiments/testing/history-simulator';
import { BalancesValue, checkBankHistory, INFO_SEARCH_CAP, TransferResult } from './bank-history.checker';
import { BANK_MODEL_INITIAL, bankModel } from './bank-history.model';

const initial = { alice: 1000, bob: 500, charlie: 200 };
const ctx = { strategy: 'vulnerable', params: {}, setup: { initial } };
const transfer = (from: string, to: string, amount: number) => ({ from, to, amount });
const result = (
  from: string,
  to: string,
  amount: number,
  fromBefore: number,
  fromAfter: number,
  toBefore: number,
  toAfter: number,
): TransferResult => ({
  from,
  to,
  amount,
  from_balance_before: fromBefore,
  from_balance_after: fromAfter,
  to_balance_before: toBefore,
  to_balance_after: toAfter,
});
const finalRead = (h: HistoryBuilder, balances: BalancesValue) => {
  h.invoke(0, 'read', { final: true });
  return h.ok(0, balances);
};

describe('checkBankHistory on hand-written histories', () => {
  it('is valid for serial transfers, a failed one and an info one that did not apply', () => {
    const h = new HistoryBuilder();
    h.call(1, 'transfer', transfer('alice', 'bob', 100), 'ok', result('alice', 'bob', 100, 1000, 900, 500, 600));
    h.call(2, 'transfer', transfer('charlie', 'bob', 900), 'fail');
    h.call(3, 'transfer', transfer('bob', 'charlie', 50), 'info');
    h.call(1, 'read', null, 'ok', { alice: 900, bob: 600, charlie: 200 });
    finalRead(h, { alice: 900, bob: 600, charlie: 200 });
    const verdict = checkBankHistory(h.ops, ctx);
    expect(verdict.anomalies).toEqual([]);
    expect(verdict.valid).toBe(true);
    expect(verdict.stats.final_balances_check).toBe('exact, 0 of 1 info transfer(s) applied');
  });

  it('accepts an info transfer that did apply', () => {
    const h = new HistoryBuilder();
    h.call(3, 'transfer', transfer('bob', 'charlie', 50), 'info');
    finalRead(h, { alice: 1000, bob: 450, charlie: 250 });
    expect(checkBankHistory(h.ops, ctx).valid).toBe(true);
  });

  it('names a read whose total is off and the transfer in flight during it', () => {
    const h = new HistoryBuilder();
    h.invoke(1, 'transfer', transfer('alice', 'bob', 300));
    h.invoke(2, 'read');
    const read = h.ok(2, { alice: 700, bob: 500, charlie: 200 }); // debit seen, credit not yet
    const t = h.ok(1, result('alice', 'bob', 300, 1000, 700, 500, 800));
    finalRead(h, { alice: 700, bob: 800, charlie: 200 });
    const verdict = checkBankHistory(h.ops, ctx);
    expect(verdict.valid).toBe(false);
    expect(verdict.anomalies).toEqual([
      expect.objectContaining({
        type: 'total-not-conserved',
        ops: [read, t],
        explanation: expect.stringContaining('300 missing'),
      }),
    ]);
  });

  it('counts an info transfer invoked earlier as concurrent with a later read', () => {
    const h = new HistoryBuilder();
    h.invoke(1, 'transfer', transfer('alice', 'bob', 300));
    const infoIndex = h.info(1);
    h.invoke(2, 'read');
    const read = h.ok(2, { alice: 700, bob: 500, charlie: 200 });
    finalRead(h, { alice: 700, bob: 800, charlie: 200 });
    const anomaly = checkBankHistory(h.ops, ctx).anomalies.find((a) => a.type === 'total-not-conserved')!;
    expect(anomaly.ops).toEqual([read, infoIndex - 1]);
  });

  it('classifies the double spend: both read the same balance and both debited it (lost update, P4), then negative', () => {
    const h = new HistoryBuilder();
    h.invoke(1, 'transfer', transfer('alice', 'bob', 800));
    h.invoke(2, 'transfer', transfer('alice', 'charlie', 800));
    h.invoke(3, 'read');
    const first = h.ok(1, result('alice', 'bob', 800, 1000, 200, 500, 1300));
    const second = h.ok(2, result('alice', 'charlie', 800, 1000, -600, 200, 1000));
    const read = h.ok(3, { alice: -600, bob: 1300, charlie: 1000 });
    finalRead(h, { alice: -600, bob: 1300, charlie: 1000 });
    const verdict = checkBankHistory(h.ops, ctx);
    expect(verdict.valid).toBe(false);
    const p4 = verdict.anomalies.filter((a) => a.type === 'lost-update (P4)');
    expect(p4.map((a) => a.ops)).toEqual([[first, second]]);
    expect(p4[0].explanation).toContain('both read alice = 1,000 and both debited it');
    const negative = verdict.anomalies.filter((a) => a.type === 'negative-balance');
    expect(negative).toHaveLength(2); // the mid-run read and the final read
    expect(negative[0].ops).toEqual([read, first, second]);
    expect(negative[0].explanation).toContain('class: lost update (P4)');
  });

  it('finds final balances no choice of info transfers explains', () => {
    const h = new HistoryBuilder();
    h.call(1, 'transfer', transfer('alice', 'bob', 100), 'ok', result('alice', 'bob', 100, 1000, 900, 500, 600));
    h.call(2, 'transfer', transfer('bob', 'charlie', 70), 'info');
    // alice debited, bob never credited: a transfer applied in part (total off too).
    const read = finalRead(h, { alice: 900, bob: 500, charlie: 200 });
    const verdict = checkBankHistory(h.ops, ctx);
    expect(verdict.valid).toBe(false);
    expect(verdict.anomalies.map((a) => a.type).sort()).toEqual(['final-balance-mismatch', 'total-not-conserved']);
    expect(verdict.anomalies.find((a) => a.type === 'final-balance-mismatch')!.ops[0]).toBe(read);
  });

  it('finds a failed transfer that applied anyway', () => {
    const h = new HistoryBuilder();
    h.call(1, 'transfer', transfer('alice', 'bob', 100), 'fail');
    finalRead(h, { alice: 900, bob: 600, charlie: 200 });
    expect(checkBankHistory(h.ops, ctx).anomalies.map((a) => a.type)).toEqual(['final-balance-mismatch']);
  });

  it(`falls back to per-account bounds beyond ${INFO_SEARCH_CAP} info transfers`, () => {
    const h = new HistoryBuilder();
    for (let i = 0; i < INFO_SEARCH_CAP + 4; i++) h.call(1, 'transfer', transfer('alice', 'bob', 10), 'info');
    finalRead(h, { alice: 950, bob: 550, charlie: 200 });
    const verdict = checkBankHistory(h.ops, ctx);
    expect(verdict.valid).toBe(true);
    expect(String(verdict.stats.final_balances_check)).toContain('bounds');
    const h2 = new HistoryBuilder();
    for (let i = 0; i < INFO_SEARCH_CAP + 4; i++) h2.call(1, 'transfer', transfer('alice', 'bob', 10), 'info');
    finalRead(h2, { alice: 1010, bob: 490, charlie: 200 }); // money can only have moved alice → bob
    expect(checkBankHistory(h2.ops, ctx).anomalies.map((a) => a.type)).toEqual(['final-balance-mismatch']);
  });

  it('is unknown without a final read', () => {
    const h = new HistoryBuilder();
    h.call(1, 'transfer', transfer('alice', 'bob', 100), 'ok', result('alice', 'bob', 100, 1000, 900, 500, 600));
    expect(checkBankHistory(h.ops, ctx).valid).toBe('unknown');
  });
});

describe('checkBankHistory on generated histories (fast-check)', () => {
  const setup = { strategy: 'safe', params: {}, setup: { initial: BANK_MODEL_INITIAL } };
  const generated = fc.record({
    seed: fc.integer({ min: 0, max: 2 ** 31 }),
    processes: fc.integer({ min: 1, max: 8 }),
    ops: fc.integer({ min: 5, max: 300 }),
    infoRate: fc.double({ min: 0, max: 0.05, noNaN: true }),
  });
  const simulate = (g: { seed: number; processes: number; ops: number; infoRate: number }): HistoryOp[] =>
    simulateHistory(bankModel, g).history.map((op) => ({
      ...op,
      value: op.value && typeof op.value === 'object' ? { ...op.value } : op.value,
    }));

  it('a correct history is valid', () => {
    fc.assert(
      fc.property(generated, (g) => {
        expect(checkBankHistory(simulate(g), setup).valid).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('money vanishing from one read breaks conservation and names that read', () => {
    fc.assert(
      fc.property(generated, fc.nat(), fc.integer({ min: 1, max: 500 }), (g, pick, amount) => {
        const history = simulate(g);
        const reads = history.filter((op) => op.f === 'read' && op.type === 'ok');
        const victim = reads[pick % reads.length];
        const balances = victim.value as BalancesValue;
        balances.alice -= amount; // vanished money
        const verdict = checkBankHistory(history, setup);
        expect(verdict.valid).toBe(false);
        expect(verdict.anomalies.some((a) => a.type === 'total-not-conserved' && a.ops[0] === victim.index)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('a debit that did not land on the balance it read is a lost update naming that transfer', () => {
    fc.assert(
      fc.property(generated, fc.nat(), (g, pick) => {
        const history = simulate(g);
        const oks = history.filter((op) => op.f === 'transfer' && op.type === 'ok');
        fc.pre(oks.length > 0);
        const victim = oks[pick % oks.length];
        (victim.value as TransferResult).from_balance_before += 50; // it checked a stale, higher balance
        const verdict = checkBankHistory(history, setup);
        expect(verdict.valid).toBe(false);
        expect(verdict.anomalies.some((a) => a.type === 'lost-update (P4)' && a.ops.includes(victim.index))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
