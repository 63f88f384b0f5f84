import { GCounter, emptyGCounter, gEquals, gIncrement, gMerge, gValue } from './g-counter';

/**
 * PN-Counter: two G-Counters, P for increments and N for decrements; value = P − N. Each half
 * merges by per-node max, so the PN-Counter inherits the merge laws, but its value can go down.
 * (A G-Counter cannot take a negative amount: merge by max would silently drop the decrement.)
 */
export interface PNCounter {
  readonly p: GCounter;
  readonly n: GCounter;
}

export const emptyPNCounter: PNCounter = Object.freeze({ p: emptyGCounter, n: emptyGCounter });

export function pnValue(counter: PNCounter): number {
  return gValue(counter.p) - gValue(counter.n);
}

export function pnIncrement(counter: PNCounter, node: string, amount: number): PNCounter {
  return { p: gIncrement(counter.p, node, amount), n: counter.n };
}

export function pnDecrement(counter: PNCounter, node: string, amount: number): PNCounter {
  return { p: counter.p, n: gIncrement(counter.n, node, amount) };
}

export function pnMerge(a: PNCounter, b: PNCounter): PNCounter {
  return { p: gMerge(a.p, b.p), n: gMerge(a.n, b.n) };
}

export function pnEquals(a: PNCounter, b: PNCounter): boolean {
  return gEquals(a.p, b.p) && gEquals(a.n, b.n);
}
