/**
 * How many decimals each currency's minor unit has, as Stripe counts them
 * (https://docs.stripe.com/currencies#zero-decimal, #three-decimal). One table for the policy,
 * its messages and the sandbox.
 */
export const ZERO_DECIMAL: ReadonlySet<string> = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'isk',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);

export const THREE_DECIMAL: ReadonlySet<string> = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** Decimal places of a currency's major unit: 0 (JPY), 3 (KWD) or 2 (everything else). */
export function decimalsOf(currency: string): number {
  const c = currency.toLowerCase();
  return ZERO_DECIMAL.has(c) ? 0 : THREE_DECIMAL.has(c) ? 3 : 2;
}

/** `1,234.56 USD`, `1,200 JPY`, `1.001 KWD`: for people reading summaries and refusals. */
export function formatMoney(amount: number, currency: string): string {
  const digits = decimalsOf(currency);
  const major = amount / 10 ** digits;
  return `${major.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })} ${currency.toUpperCase()}`;
}
