import { createHash } from 'node:crypto';
import { canonicalJson, lowerCurrencies } from '../util/canonical.js';

export { canonicalize, canonicalJson } from '../util/canonical.js';

/**
 * The idempotency key of one request as Stripe receives it: method, path, Connect account and the
 * parameters in a canonical form (pairs sorted, currency codes lowercased, so `USD` and `usd`, `true`
 * and `"true"`, the named tool and the generic one, all make one key). An agent that retries the same
 * request sends the same key, so Stripe replays the first result instead of charging twice. Stripe
 * keeps keys for 24 hours: the same request a day later runs again.
 */
export function requestIdempotencyKey(
  method: string,
  path: string,
  headers: Record<string, unknown>,
  body: string | null | undefined,
): string {
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const account = text(headers['Stripe-Account']);
  const context = text(headers['Stripe-Context']);
  const json = text(headers['Content-Type']).includes('json');
  const digest = createHash('sha256')
    .update(
      `${method}\n${path.split('?')[0]}\n${account}\n${context}\n${json ? canonicalJsonBody(body) : canonicalForm(body)}`,
    )
    .digest('hex')
    .slice(0, 40);
  return `mcp-stripe:${digest}`;
}

const CURRENCY_KEY = /(^|\[)currency\]?$/;

function canonicalForm(body: string | null | undefined): string {
  if (!body) return '';
  return body
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
      const key = decode(eq < 0 ? pair : pair.slice(0, eq));
      const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
      return `${key}=${CURRENCY_KEY.test(key) ? value.toLowerCase() : value}`;
    })
    .sort()
    .join('&');
}

function canonicalJsonBody(body: string | null | undefined): string {
  if (!body) return '';
  try {
    return canonicalJson(lowerCurrencies(JSON.parse(body)));
  } catch {
    return body;
  }
}

/**
 * The identity of one logical call: the tool, the Connect account and the canonical
 * arguments: the daily-limit ledger counts a repeated call once under it.
 */
export function callIdentity(tool: string, args: unknown, stripeAccount?: string): string {
  const digest = createHash('sha256')
    .update(`${tool}\n${stripeAccount ?? ''}\n${canonicalJson(args)}`)
    .digest('hex')
    .slice(0, 40);
  return `mcp-stripe:${tool}:${digest}`;
}
