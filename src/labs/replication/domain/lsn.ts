/**
 * PostgreSQL write-ahead-log positions (`pg_lsn`, written `X/Y` in hex): a 64-bit byte offset in
 * the WAL. The postgres-streaming engine routes reads on them: a standby that has replayed up to
 * LSN L holds every transaction whose commit record ends at or before L.
 */
export type Lsn = string;

const LSN_PATTERN = /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/;

export function isLsn(value: unknown): value is Lsn {
  return typeof value === 'string' && LSN_PATTERN.test(value);
}

export function lsnToBigInt(lsn: Lsn): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

/** -1, 0 or 1, as a is before, at or after b. */
export function compareLsn(a: Lsn, b: Lsn): number {
  const x = lsnToBigInt(a);
  const y = lsnToBigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The later of two positions; either may be missing. */
export function maxLsn(a: Lsn | undefined, b: Lsn | undefined): Lsn | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareLsn(a, b) >= 0 ? a : b;
}

/** Whether position `at` has reached `needed` (nothing needed: yes; position unknown: no). */
export function reachedLsn(at: Lsn | null | undefined, needed: Lsn | undefined): boolean {
  if (needed === undefined) return true;
  return at !== null && at !== undefined && compareLsn(at, needed) >= 0;
}

/** Bytes of WAL between two positions (b - a), as a number (exact far beyond any lag here). */
export function lsnDiff(a: Lsn, b: Lsn): number {
  return Number(lsnToBigInt(b) - lsnToBigInt(a));
}
