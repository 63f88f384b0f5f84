import { Cents, toAmount } from '../domain/money';

export interface LedgerAccount {
  id: string;
  balance: Cents;
  opening: Cents;
  /** Sums of the successful transfers in the log since the last reset. */
  credits: Cents;
  debits: Cents;
}

export interface InvariantsReport {
  ok: boolean;
  total: number;
  expected_total: number;
  conserved: boolean;
  difference: number;
  negative_balances: Array<{ id: string; balance: number }>;
  ledger_consistent: boolean;
  ledger: Array<{ id: string; balance: number; ledger_balance: number; matches: boolean }>;
  race_hits_since_reset: number;
  transfers_since_reset: Record<string, number>;
}

/**
 * The Jepsen bank check on the live state: money is neither created nor destroyed (the total equals
 * the opening total), no balance is negative, and every balance equals its opening balance plus the
 * credits minus the debits the log recorded (no lost or phantom update).
 */
export function checkInvariants(
  accounts: LedgerAccount[],
  raceHits: number,
  transfers: Record<string, number>,
): InvariantsReport {
  const total = accounts.reduce((sum, a) => sum + a.balance, 0);
  const expected = accounts.reduce((sum, a) => sum + a.opening, 0);
  const negative = accounts.filter((a) => a.balance < 0).map((a) => ({ id: a.id, balance: toAmount(a.balance) }));
  const ledger = accounts.map((a) => {
    const ledgerBalance = a.opening + a.credits - a.debits;
    return {
      id: a.id,
      balance: toAmount(a.balance),
      ledger_balance: toAmount(ledgerBalance),
      matches: ledgerBalance === a.balance,
    };
  });
  const conserved = total === expected;
  const ledgerConsistent = ledger.every((l) => l.matches);
  return {
    ok: conserved && negative.length === 0 && ledgerConsistent,
    total: toAmount(total),
    expected_total: toAmount(expected),
    conserved,
    difference: toAmount(total - expected),
    negative_balances: negative,
    ledger_consistent: ledgerConsistent,
    ledger,
    race_hits_since_reset: raceHits,
    transfers_since_reset: transfers,
  };
}
