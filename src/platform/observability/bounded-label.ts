/** What a label value becomes once its metric has seen as many distinct values as it allows. */
export const OVERFLOW_LABEL = 'other';

/**
 * A label value taken from user input (a counter name, an id) keeps its own series only for the
 * first `limit` distinct values; later ones share `other`, so a flood of random names adds one
 * series, not one per name. Values longer than `maxLength` go to `other` straight away.
 */
export class BoundedLabelValues {
  private readonly admitted = new Set<string>();

  constructor(
    readonly limit: number,
    private readonly maxLength = 100,
  ) {}

  /** The value itself while it fits the bound, else `other` (for counters and histograms, which add up). */
  of(value: string): string {
    return this.admits(value) ? value : OVERFLOW_LABEL;
  }

  /** Whether the value has (or now gets) its own series; gauges skip values that do not, since gauges do not add up. */
  admits(value: string): boolean {
    if (this.admitted.has(value)) return true;
    if (value.length > this.maxLength || value === OVERFLOW_LABEL || this.admitted.size >= this.limit) return false;
    this.admitted.add(value);
    return true;
  }

  get size(): number {
    return this.admitted.size;
  }
}
