import { GCounter } from './g-counter';
import { PNCounter } from './pn-counter';

/** What a replica's state may hold: which node ids, and how large one entry may be. */
export interface StateRules {
  nodeIds: readonly string[];
  maxEntry: number;
}

export const COUNTER_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** An entry: a non-negative safe integer no larger than the rules allow. */
export function isEntry(n: unknown, rules: StateRules): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= rules.maxEntry;
}

/** `{<node_id>: entry}` with known node ids only. */
export function isNodeMap(v: unknown, rules: StateRules): v is GCounter {
  return isPlainObject(v) && Object.entries(v).every(([node, n]) => rules.nodeIds.includes(node) && isEntry(n, rules));
}

export function isPnCounter(v: unknown, rules: StateRules): v is PNCounter {
  return (
    isPlainObject(v) &&
    Object.keys(v).every((k) => k === 'p' || k === 'n') &&
    isNodeMap(v.p ?? {}, rules) &&
    isNodeMap(v.n ?? {}, rules)
  );
}

export interface ValidState {
  counts: Record<string, GCounter>;
  pn: Record<string, PNCounter>;
  /** Names whose state broke the rules: left out, each on its own, so the others still merge. */
  rejected: string[];
}

/**
 * Splits a peer's (or this replica's own stored) state into the counters that satisfy the rules
 * and the names that do not. A bad counter is refused on its own: the others still travel and
 * merge, so one poisoned counter never stops anti-entropy of the rest.
 */
export function validCounters(counts: unknown, pn: unknown, rules: StateRules): ValidState {
  const out: ValidState = { counts: {}, pn: {}, rejected: [] };
  for (const [source, target, check] of [
    [counts, out.counts, isNodeMap],
    [pn, out.pn, isPnCounter],
  ] as const) {
    if (source === undefined) continue;
    if (!isPlainObject(source)) {
      out.rejected.push('*');
      continue;
    }
    for (const [name, value] of Object.entries(source)) {
      if (COUNTER_NAME_PATTERN.test(name) && check(value, rules)) (target as Record<string, unknown>)[name] = value;
      else out.rejected.push(name);
    }
  }
  return out;
}

const DIGITS = /^\d{1,16}$/;

/**
 * A counter as Redis stores it (field → decimal string), parsed exactly and checked against the
 * rules; entries that break them are dropped (an entry missing from a G-Counter map is only
 * missing information, never a wrong value). Undefined when nothing valid is left.
 */
export function parseStoredG(hash: Readonly<Record<string, string>>, rules: StateRules): GCounter | undefined {
  const map: Record<string, number> = {};
  for (const [node, text] of Object.entries(hash)) {
    const n = DIGITS.test(text) ? Number(text) : NaN;
    if (rules.nodeIds.includes(node) && isEntry(n, rules)) map[node] = n;
  }
  return Object.keys(map).length > 0 ? map : undefined;
}

/** A PN-Counter hash (`p:<node>` / `n:<node>` → decimal string), parsed like `parseStoredG`. */
export function parseStoredPn(hash: Readonly<Record<string, string>>, rules: StateRules): PNCounter | undefined {
  const halves: Record<'p' | 'n', Record<string, string>> = { p: {}, n: {} };
  for (const [field, text] of Object.entries(hash)) {
    const sign = field.slice(0, 2);
    if (sign === 'p:' || sign === 'n:') halves[sign[0] as 'p' | 'n'][field.slice(2)] = text;
  }
  const p = parseStoredG(halves.p, rules) ?? {};
  const n = parseStoredG(halves.n, rules) ?? {};
  return Object.keys(p).length + Object.keys(n).length > 0 ? { p, n } : undefined;
}
