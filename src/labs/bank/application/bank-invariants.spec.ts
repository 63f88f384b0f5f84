import fc from 'fast-check';
import { LedgerAccount, checkInvariants } from './bank-invariants';

const opening = (): LedgerAccount[] => [
  { id: 'alice', balance: 100000, opening: 100000, credits: 0, debits: 0 },
  { id: 'bob', balance: 50000, opening: 50000, credits: 0, debits: 0 },
  { id: 'charlie', balance: 20000, opening: 20000, credits: 0, debits: 0 },
];

const transfer = fc.record({
  from: fc.integer({ min: 0, max: 2 }),
  to: fc.integer({ min: 0, max: 2 }),
  amount: fc.integer({ min: 1, max: 120000 }),
});

describe('the bank invariants check', () => {
  it('holds for any serial history of checked transfers (each applied whole)', () => {
    fc.assert(
      fc.property(fc.array(transfer, { maxLength: 200 }), (history) => {
        const accounts = opening();
        for (const { from, to, amount } of history) {
          if (from === to || accounts[from].balance < amount) continue;
          accounts[from].balance -= amount;
          accounts[from].debits += amount;
          accounts[to].balance += amount;
          accounts[to].credits += amount;
        }
        const report = checkInvariants(accounts, 0, {});
        expect(report).toMatchObject({ ok: true, conserved: true, ledger_consistent: true, negative_balances: [] });
        expect(report.total).toBe(1700);
      }),
    );
  });

  it('flags the double spend: conserved, but a balance below zero', () => {
    const accounts = opening();
    accounts[0] = { ...accounts[0], balance: -60000, debits: 160000 };
    accounts[1] = { ...accounts[1], balance: 130000, credits: 80000 };
    accounts[2] = { ...accounts[2], balance: 100000, credits: 80000 };
    const report = checkInvariants(accounts, 1, { success: 2 });
    expect(report).toMatchObject({ ok: false, conserved: true, ledger_consistent: true, race_hits_since_reset: 1 });
    expect(report.negative_balances).toEqual([{ id: 'alice', balance: -600 }]);
  });

  it('flags a half-applied transfer (debit without credit) and a lost update', () => {
    const halfApplied = opening();
    halfApplied[0].balance -= 80000;
    expect(checkInvariants(halfApplied, 0, {})).toMatchObject({ ok: false, conserved: false, difference: -800 });

    const lostUpdate = opening();
    lostUpdate[0] = { ...lostUpdate[0], balance: 20000, debits: 160000 };
    lostUpdate[1] = { ...lostUpdate[1], balance: 130000, credits: 80000 };
    lostUpdate[2] = { ...lostUpdate[2], balance: 100000, credits: 80000 };
    const report = checkInvariants(lostUpdate, 0, {});
    expect(report.ledger_consistent).toBe(false);
    expect(report.ledger[0]).toEqual({ id: 'alice', balance: 200, ledger_balance: -600, matches: false });
  });
});
