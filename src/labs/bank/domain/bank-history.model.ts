import type { HistoryModel } from '../../../platform/experiments/testing/history-simulator';
import type { BalancesValue, TransferResult, TransferValue } from './bank-history.checker';

export const BANK_MODEL_INITIAL: BalancesValue = { alice: 1000, bob: 500, charlie: 200 };
const ACCOUNTS = Object.keys(BANK_MODEL_INITIAL);

/** A serializable bank, for generated histories: a transfer applies atomically when the balance covers it. */
export const bankModel: HistoryModel<BalancesValue> = {
  init: () => ({ ...BANK_MODEL_INITIAL }),
  next(rng) {
    if (rng.next() < 0.3) return { f: 'read', value: null };
    const from = rng.int(0, ACCOUNTS.length - 1);
    const to = (from + rng.int(1, ACCOUNTS.length - 1)) % ACCOUNTS.length;
    const value: TransferValue = { from: ACCOUNTS[from], to: ACCOUNTS[to], amount: rng.int(1, 600) };
    return { f: 'transfer', value };
  },
  apply(state, op) {
    if (op.f === 'read') return { type: 'ok', value: { ...state } };
    const { from, to, amount } = op.value as TransferValue;
    if (state[from] < amount) return { type: 'fail', value: op.value };
    const result: TransferResult = {
      from,
      to,
      amount,
      from_balance_before: state[from],
      from_balance_after: state[from] - amount,
      to_balance_before: state[to],
      to_balance_after: state[to] + amount,
    };
    state[from] -= amount;
    state[to] += amount;
    return { type: 'ok', value: result };
  },
  finalOps: () => [{ f: 'read', value: { final: true } }],
};
