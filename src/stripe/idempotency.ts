import { createHash } from 'node:crypto';
import { canonicalJson } from '../util/canonical.js';

export { canonicalize, canonicalJson } from '../util/canonical.js';

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
