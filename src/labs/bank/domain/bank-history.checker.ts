import type { Anomaly, CheckContext, HistoryOp, Verdict } from '../../../platform/experiments/experiment.contract';

/** `transfer` invoke value; the ok completion adds the balances the lab read and wrote. */
export interface TransferValue {
  from: string;
  to: string;
  amount: number;
}

export interface TransferResult extends TransferValue {
  transfer_id?: string;
  from_balance_before: number;
  from_balance_after: number;
  to_balance_before: number;
  to_balance_after: number;
}

/** `read` ok value: every account's balance, read in one statement. */
export type BalancesValue = Record<string, number>;

/** How many info transfers are searched exhaustively (2^k subsets) for the final balances. */
export const INFO_SEARCH_CAP = 16;
/** Anomalies named per type; the rest are counted in stats. */
export const NAMED_PER_TYPE = 50;
const NAMED_CONCURRENT = 12;

interface Transfer {
  invoke: number;
  /** Completion index; Infinity while it never completed (info counts as "maybe, any time after invoke"). */
  complete: number;
  type: 'ok' | 'fail' | 'info' | 'pending';
  value: TransferValue;
  result?: TransferResult;
}

interface Read {
  invoke: number;
  complete: number;
  balances: BalancesValue;
  final: boolean;
  /** Transfers that overlapped the read (in flight at its invoke or invoked before it completed). */
  concurrent: Transfer[];
}

const cents = (amount: number) => Math.round(amount * 100);
const money = (c: number) => (c / 100).toLocaleString('en-US', { maximumFractionDigits: 2 });

/**
 * The bank checker (Jepsen's bank, pure, one pass plus the anomalies' details):
 * - every read's total equals the initial total (`total-not-conserved`);
 * - no read shows a negative balance (`negative-balance`);
 * - the final read equals the initial balances plus the net of the ok transfers and of some subset
 *   of the info ones (`final-balance-mismatch`; exhaustive up to INFO_SEARCH_CAP info transfers,
 *   per-account bounds beyond);
 * - lost update, Adya's P4 (`lost-update (P4)`): an ok transfer whose debit did not land on the
 *   balance it read and checked (from_balance_after ≠ from_balance_before − amount), i.e. another
 *   transfer wrote the account between its read and its write; the anomaly names that writer,
 *   and says when both read the same balance.
 * Write skew (G2-item) needs two transactions whose write sets are disjoint; every transfer
 * writes every row it reads, so this workload cannot show it (and the checker does not claim it).
 */
export function checkBankHistory(history: readonly HistoryOp[], context: CheckContext): Verdict {
  const initial = (context.setup.initial ?? {}) as BalancesValue;
  const accounts = Object.keys(initial).sort();
  const initialCents = new Map(accounts.map((a) => [a, cents(initial[a])]));
  let initialTotal = 0;
  for (const a of accounts) initialTotal += initialCents.get(a)!;

  const transfers: Transfer[] = [];
  const reads: Read[] = [];
  const openTransfer = new Map<number | string, Transfer>();
  const openRead = new Map<number | string, { invoke: number; final: boolean; concurrent: Transfer[] }>();
  const counts = { invoke: 0, ok: 0, fail: 0, info: 0 };
  const byType = { ok: 0, fail: 0, info: 0 };

  for (const op of history) {
    counts[op.type]++;
    if (op.process === 'nemesis') continue;
    if (op.f === 'transfer') {
      if (op.type === 'invoke') {
        const t: Transfer = { invoke: op.index, complete: Infinity, type: 'pending', value: op.value as TransferValue };
        transfers.push(t);
        openTransfer.set(op.process, t);
        for (const r of openRead.values()) r.concurrent.push(t);
        continue;
      }
      const t = openTransfer.get(op.process);
      if (!t) continue;
      openTransfer.delete(op.process);
      t.type = op.type;
      byType[op.type]++;
      if (op.type === 'ok') {
        t.complete = op.index;
        t.result = op.value as TransferResult;
      } else if (op.type === 'fail') {
        t.complete = op.index;
      }
      // info: it may take effect at any time after its invoke; its interval stays open.
    } else if (op.f === 'read') {
      if (op.type === 'invoke') {
        const final =
          typeof op.value === 'object' && op.value !== null && (op.value as { final?: unknown }).final === true;
        const concurrent: Transfer[] = [];
        for (const t of openTransfer.values()) concurrent.push(t);
        openRead.set(op.process, { invoke: op.index, final, concurrent });
        continue;
      }
      const r = openRead.get(op.process);
      openRead.delete(op.process);
      if (!r || op.type !== 'ok') continue;
      reads.push({
        invoke: r.invoke,
        complete: op.index,
        balances: op.value as BalancesValue,
        final: r.final,
        concurrent: r.concurrent,
      });
    }
  }
  // Info transfers still open anywhere are concurrent with every later read: add them lazily below.
  const infos = transfers.filter((t) => t.type === 'info' || t.type === 'pending');

  const anomalies: Anomaly[] = [];
  const found: Record<string, number> = {};
  const add = (anomaly: Anomaly) => {
    found[anomaly.type] = (found[anomaly.type] ?? 0) + 1;
    if (found[anomaly.type] <= NAMED_PER_TYPE) anomalies.push(anomaly);
  };

  const lostUpdates = findLostUpdates(transfers);
  for (const lost of lostUpdates) add(lost.anomaly);

  for (const read of reads) {
    let total = 0;
    const negative: string[] = [];
    for (const a of accounts) {
      const c = cents(read.balances[a] ?? 0);
      total += c;
      if (c < 0) negative.push(a);
    }
    if (total === initialTotal && negative.length === 0) continue;
    const concurrent = concurrentWith(read, infos);
    if (total !== initialTotal) {
      const diff = total - initialTotal;
      add({
        type: 'total-not-conserved',
        explanation:
          `read (op ${read.complete}) saw a total of ${money(total)} instead of ${money(initialTotal)} ` +
          `(${diff < 0 ? `${money(-diff)} missing` : `${money(diff)} too much`}); ` +
          describeConcurrent(concurrent),
        ops: [read.complete, ...concurrent.slice(0, NAMED_CONCURRENT).map(opOf)],
      });
    }
    for (const account of negative) {
      const debits = concurrent.filter((t) => t.value.from === account);
      const classes = lostUpdates.filter(
        (l) => l.account === account && debits.some((d) => d === l.late || d === l.early),
      );
      add({
        type: 'negative-balance',
        explanation:
          `read (op ${read.complete}) saw ${account} at ${money(cents(read.balances[account]))}; ` +
          describeConcurrent(debits.length > 0 ? debits : concurrent) +
          (classes.length > 0 ? `; class: lost update (P4) — ${classes[0].summary}` : ''),
        ops: [read.complete, ...(debits.length > 0 ? debits : concurrent).slice(0, NAMED_CONCURRENT).map(opOf)],
      });
    }
  }

  const finalRead = [...reads].reverse().find((r) => r.final);
  let finalCheck = 'no final read';
  if (finalRead) {
    const expected = new Map(initialCents);
    for (const t of transfers) {
      if (t.type !== 'ok') continue;
      const amount = cents(t.value.amount);
      expected.set(t.value.from, (expected.get(t.value.from) ?? 0) - amount);
      expected.set(t.value.to, (expected.get(t.value.to) ?? 0) + amount);
    }
    const observed = new Map(accounts.map((a) => [a, cents(finalRead.balances[a] ?? 0)]));
    const result = explainFinal(accounts, expected, observed, infos);
    finalCheck = result.how;
    if (!result.ok) {
      const wrong = accounts.filter((a) => !result.within || !result.within(a));
      add({
        type: 'final-balance-mismatch',
        explanation:
          `the final read (op ${finalRead.complete}) shows ${wrong.map((a) => `${a} ${money(observed.get(a)!)}`).join(', ')}; ` +
          `initial balances plus the ok transfers give ${wrong.map((a) => `${a} ${money(expected.get(a)!)}`).join(', ')}` +
          (infos.length > 0 ? `, and no choice of the ${infos.length} info transfer(s) explains it` : '') +
          ' (a transfer applied in part, twice, or despite failing)',
        ops: [finalRead.complete, ...infos.slice(0, NAMED_CONCURRENT).map((t) => t.invoke)],
      });
    }
  }

  const stats = {
    ops: counts,
    transfers: byType,
    reads: reads.length,
    initial_total: initialTotal / 100,
    final_read: finalRead ? finalRead.complete : null,
    final_balances_check: finalCheck,
    anomalies: found,
  };
  if (anomalies.length > 0) return { valid: false, anomalies, stats };
  if (!finalRead)
    return { valid: 'unknown', anomalies, stats: { ...stats, unknown_because: 'no final read completed' } };
  return { valid: true, anomalies, stats };
}

interface LostUpdate {
  account: string;
  early: Transfer | undefined;
  late: Transfer;
  summary: string;
  anomaly: Anomaly;
}

/**
 * A transfer whose debit did not land on the balance it checked had another write to that account
 * between its read and its write; any such writer overlaps it in the history. Transfers are
 * visited by invoke order and only overlapping ones compared, so this stays near-linear.
 */
function findLostUpdates(transfers: Transfer[]): LostUpdate[] {
  const out: LostUpdate[] = [];
  const writers = new Map<string, Transfer[]>();
  const oks = transfers.filter((t) => t.type === 'ok' && t.result);
  for (const t of oks) {
    for (const a of [t.value.from, t.value.to]) {
      const list = writers.get(a);
      if (list) list.push(t);
      else writers.set(a, [t]);
    }
  }
  for (const t of oks) {
    const r = t.result!;
    if (cents(r.from_balance_after) === cents(r.from_balance_before) - cents(t.value.amount)) continue;
    const account = t.value.from;
    const overlapping = (writers.get(account) ?? []).filter(
      (w) => w !== t && w.invoke < t.complete && w.complete > t.invoke,
    );
    const sameRead = overlapping.find(
      (w) => w.value.from === account && cents(w.result!.from_balance_before) === cents(r.from_balance_before),
    );
    const early = sameRead ?? overlapping[0];
    const summary = sameRead
      ? `transfers op ${sameRead.complete} (${describe(sameRead)}) and op ${t.complete} (${describe(t)}) both read ${account} = ` +
        `${money(cents(r.from_balance_before))} and both debited it`
      : `transfer op ${t.complete} (${describe(t)}) checked ${account} = ${money(cents(r.from_balance_before))}, but ` +
        (early
          ? `op ${early.complete} (${describe(early)}) wrote it before the debit`
          : 'another write landed before its debit');
    out.push({
      account,
      early,
      late: t,
      summary,
      anomaly: {
        type: 'lost-update (P4)',
        explanation:
          `${summary}: op ${t.complete}'s debit landed on ${money(cents(r.from_balance_after) + cents(t.value.amount))}, ` +
          `not on the ${money(cents(r.from_balance_before))} it checked (read-modify-write on a stale read)`,
        ops: early ? [early.complete, t.complete] : [t.complete],
      },
    });
  }
  return out;
}

function concurrentWith(read: Read, infos: Transfer[]): Transfer[] {
  const seen = new Set(read.concurrent);
  const all = [...read.concurrent];
  // An info transfer invoked before the read may take effect during it.
  for (const t of infos) if (t.invoke < read.complete && !seen.has(t)) all.push(t);
  return all.filter((t) => t.type !== 'fail');
}

function explainFinal(
  accounts: string[],
  expected: Map<string, number>,
  observed: Map<string, number>,
  infos: Transfer[],
): { ok: boolean; how: string; within?: (account: string) => boolean } {
  const delta = accounts.map((a) => observed.get(a)! - expected.get(a)!);
  if (delta.every((d) => d === 0) && infos.length === 0) return { ok: true, how: 'exact' };
  const nets = infos.map((t) =>
    accounts.map((a) => (t.value.from === a ? -cents(t.value.amount) : t.value.to === a ? cents(t.value.amount) : 0)),
  );
  if (infos.length <= INFO_SEARCH_CAP) {
    for (let mask = 0; mask < 1 << infos.length; mask++) {
      let match = true;
      for (let i = 0; i < accounts.length && match; i++) {
        let sum = 0;
        for (let k = 0; k < infos.length; k++) if (mask & (1 << k)) sum += nets[k][i];
        match = sum === delta[i];
      }
      if (match) return { ok: true, how: `exact, ${popcount(mask)} of ${infos.length} info transfer(s) applied` };
    }
    return { ok: false, how: `no subset of ${infos.length} info transfer(s) matches` };
  }
  const low = accounts.map((_, i) => nets.reduce((s, n) => s + Math.min(0, n[i]), 0));
  const high = accounts.map((_, i) => nets.reduce((s, n) => s + Math.max(0, n[i]), 0));
  const within = (a: string) => {
    const i = accounts.indexOf(a);
    return delta[i] >= low[i] && delta[i] <= high[i];
  };
  const ok = accounts.every(within);
  return { ok, within, how: `within per-account bounds of ${infos.length} info transfers (too many to search)` };
}

function popcount(mask: number): number {
  let n = 0;
  for (let m = mask; m; m &= m - 1) n++;
  return n;
}

function opOf(t: Transfer): number {
  return Number.isFinite(t.complete) ? t.complete : t.invoke;
}

function describe(t: Transfer): string {
  return `${t.value.from}→${t.value.to} ${money(cents(t.value.amount))}`;
}

function describeConcurrent(list: Transfer[]): string {
  if (list.length === 0) return 'no transfer was concurrent with it';
  const shown = list
    .slice(0, NAMED_CONCURRENT)
    .map((t) => `op ${opOf(t)} (${describe(t)}, ${t.type === 'pending' ? 'info' : t.type})`)
    .join(', ');
  return `concurrent transfers: ${shown}${list.length > NAMED_CONCURRENT ? ` and ${list.length - NAMED_CONCURRENT} more` : ''}`;
}
