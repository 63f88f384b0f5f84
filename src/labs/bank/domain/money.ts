/**
 * Money is NUMERIC(18,2) in PostgreSQL and whole cents in the app: decimal strings from the
 * database become integers, so comparisons never meet a binary-float rounding error.
 */
export type Cents = number;

export function toCents(value: string | number): Cents {
  const text = typeof value === 'number' ? value.toFixed(2) : value;
  const match = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!match) throw new RangeError(`not a decimal amount: ${text}`);
  const cents = Number(match[2]) * 100 + Number((match[3] ?? '').padEnd(2, '0'));
  return match[1] ? -cents : cents;
}

/** The SQL literal of an amount, e.g. 80000 → '800.00'. */
export function toDecimal(cents: Cents): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** The JSON number of an amount, as the seed printed it (1000.00 → 1000). */
export function toAmount(cents: Cents): number {
  return cents / 100;
}
