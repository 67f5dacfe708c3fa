import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth and `undefined` dropped: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, (v as Record<string, unknown>)[k]]),
      );
    }
    return v;
  });
}

/**
 * The idempotency key for one logical call: the tool, the Connect account and the canonical
 * arguments. An agent that retries the same call sends the same key, so Stripe replays the first
 * result instead of charging twice. Stripe keeps keys for 24 hours.
 */
export function deriveIdempotencyKey(tool: string, args: unknown, stripeAccount?: string): string {
  const digest = createHash('sha256')
    .update(`${tool}\n${stripeAccount ?? ''}\n${canonicalJson(args)}`)
    .digest('hex')
    .slice(0, 40);
  return `mcp-stripe:${tool}:${digest}`;
}
