/** Nearest-rank percentile (the same definition as PostgreSQL's percentile_disc); null for no data. */
export function percentile(values: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 1)) throw new RangeError('percentile p must be in (0, 1]');
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(p * sorted.length) - 1];
}
