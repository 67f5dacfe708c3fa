/** A copy with object keys sorted at every depth, so equal arguments produce byte-identical requests. */
export function canonicalize<T>(value: T): T {
  if (Array.isArray(value)) return value.map(canonicalize) as T;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(obj)
        .sort()
        .filter((k) => obj[k] !== undefined)
        .map((k) => [k, canonicalize(obj[k])]),
    ) as T;
  }
  return value;
}

/** JSON with object keys sorted at every depth and `undefined` dropped: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalize(value));
}

/**
 * A copy with every `currency` value lowercased: Stripe reads currency codes in any case, so `USD` and
 * `usd` are one request (and one idempotency key).
 */
export function lowerCurrencies<T>(v: T): T {
  if (Array.isArray(v)) return v.map(lowerCurrencies) as T;
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [
        k,
        k === 'currency' && typeof x === 'string' ? x.toLowerCase() : lowerCurrencies(x),
      ]),
    ) as T;
  return v;
}
