/**
 * G-Counter (grow-only counter), a state-based CRDT: one non-negative entry per node; a node only
 * ever raises its own entry; the value is the sum of entries; merge takes the per-node maximum.
 * Merge is commutative, associative and idempotent, so replicas that exchange states in any order,
 * any number of times, end up equal — the property anti-entropy relies on.
 */
export type GCounter = Readonly<Record<string, number>>;

export const emptyGCounter: GCounter = Object.freeze({});

export function gValue(counter: GCounter): number {
  return Object.values(counter).reduce((sum, n) => sum + n, 0);
}

export function gIncrement(counter: GCounter, node: string, amount: number): GCounter {
  if (!Number.isSafeInteger(amount) || amount < 1) {
    throw new RangeError(`a G-Counter only grows: amount must be a positive integer, got ${amount}`);
  }
  return { ...counter, [node]: (counter[node] ?? 0) + amount };
}

export function gMerge(a: GCounter, b: GCounter): GCounter {
  const merged: Record<string, number> = { ...a };
  for (const [node, n] of Object.entries(b)) merged[node] = Math.max(merged[node] ?? 0, n);
  return merged;
}

/** Entries both sides hold with different values: what the seed called "conflicts" (it is staleness). */
export function gDiffering(a: GCounter, b: GCounter): number {
  return Object.keys(a).filter((node) => node in b && a[node] !== b[node]).length;
}

/** a ≤ b in the CRDT order: b has seen everything a has. */
export function gLessOrEqual(a: GCounter, b: GCounter): boolean {
  return Object.entries(a).every(([node, n]) => n <= (b[node] ?? 0));
}

/** Same map, ignoring zero entries (a node with 0 has contributed nothing). */
export function gEquals(a: GCounter, b: GCounter): boolean {
  return gLessOrEqual(a, b) && gLessOrEqual(b, a);
}

/** Merges any number of replicas' maps: the global view of a counter. */
export function gMergeAll(counters: Iterable<GCounter>): GCounter {
  let merged: GCounter = emptyGCounter;
  for (const c of counters) merged = gMerge(merged, c);
  return merged;
}

/** Drops zero entries and sorts by node id, for stable output and comparison. */
export function gNormalize(counter: GCounter): GCounter {
  return Object.fromEntries(
    Object.entries(counter)
      .filter(([, n]) => n > 0)
      .sort(([x], [y]) => x.localeCompare(y)),
  );
}
