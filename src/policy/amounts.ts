export { formatMoney } from '../money/currencies.js';

/**
 * An amount limit in minor units, for every currency or per currency:
 * `50000`, `usd:50000,eur:40000`, or both (`50000,jpy:700000`: jpy gets its own, the rest 50000).
 */
export interface AmountLimit {
  default?: number;
  byCurrency: Record<string, number>;
}

export function parseAmountLimit(spec: string | number): AmountLimit | { error: string } {
  if (typeof spec === 'number')
    return validAmount(spec)
      ? { default: spec, byCurrency: {} }
      : { error: `"${spec}" is not a whole number of minor units` };
  const out: AmountLimit = { byCurrency: {} };
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(?:([A-Za-z]{3}):)?(\d+)$/.exec(part);
    if (!m || !validAmount(Number(m[2]))) {
      return {
        error: `"${part}" is not an amount in minor units, optionally prefixed by a currency (e.g. 50000 or usd:50000)`,
      };
    }
    if (m[1]) out.byCurrency[m[1].toLowerCase()] = Number(m[2]);
    else out.default = Number(m[2]);
  }
  if (out.default === undefined && Object.keys(out.byCurrency).length === 0) return { error: 'it is empty' };
  return out;
}

function validAmount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** The limit for a currency, or undefined when this limit does not cover it. */
export function limitFor(limit: AmountLimit | undefined, currency: string): number | undefined {
  if (!limit) return undefined;
  return limit.byCurrency[currency.toLowerCase()] ?? limit.default;
}

/** Whether any limit is set at all (for a call whose currency is not known before it runs). */
export function anyLimit(limit: AmountLimit | undefined): boolean {
  return !!limit && (limit.default !== undefined || Object.keys(limit.byCurrency).length > 0);
}
