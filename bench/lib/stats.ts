/** A figure measured over several repetitions: its median and its spread (min..max). */
export interface Measured {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function measured(values: number[]): Measured {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: values };
}

/** Repeats `fn` and collects each named figure across the runs. */
export async function repeat<K extends string>(
  times: number,
  fn: (run: number) => Promise<Record<K, number>>,
): Promise<Record<K, Measured>> {
  const runs: Array<Record<K, number>> = [];
  for (let i = 0; i < times; i++) runs.push(await fn(i));
  const keys = Object.keys(runs[0]) as K[];
  return Object.fromEntries(keys.map((k) => [k, measured(runs.map((r) => r[k]))])) as Record<K, Measured>;
}

export function fmt(m: Measured, digits = 1): string {
  return `${m.median.toFixed(digits)} (${m.min.toFixed(digits)}–${m.max.toFixed(digits)})`;
}
