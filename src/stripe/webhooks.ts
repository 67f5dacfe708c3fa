import type Stripe from 'stripe';
import { loadStripeSdk } from './client.js';

export type VerifyResult = { ok: true; event: Stripe.Event } | { ok: false; reason: string };

/**
 * Verifies `Stripe-Signature` over the exact raw bytes with each configured secret (several during a
 * rotation). The reason on failure is short and never includes a secret.
 */
export async function verifyWebhook(
  raw: Buffer,
  signature: string | undefined,
  secrets: readonly string[],
  toleranceSeconds: number,
): Promise<VerifyResult> {
  if (!signature) return { ok: false, reason: 'missing Stripe-Signature header' };
  // The SDK checks only how old a timestamp is; one from the future is as suspect (a replay planted ahead).
  const t = /(?:^|,)\s*t=(\d+)/.exec(signature)?.[1];
  if (t !== undefined && Number(t) > Date.now() / 1000 + toleranceSeconds)
    return { ok: false, reason: `timestamp outside the tolerance of ${toleranceSeconds} s (in the future)` };
  // Verification needs only the SDK's webhook helpers, not an API client or key.
  const { webhooks } = await loadStripeSdk();
  let last = 'signature does not match';
  for (const secret of secrets) {
    try {
      return { ok: true, event: webhooks.constructEvent(raw, signature, secret, toleranceSeconds) };
    } catch (err) {
      const message = (err as Error).message;
      if (/timestamp outside the tolerance/i.test(message))
        return { ok: false, reason: `timestamp outside the tolerance of ${toleranceSeconds} s` };
      if (/Unable to extract timestamp and signatures/i.test(message))
        return { ok: false, reason: 'malformed Stripe-Signature header' };
      if (/No signatures found matching/i.test(message))
        last = 'signature does not match (wrong secret or modified body)';
      else if (/JSON/i.test(message)) return { ok: false, reason: 'body is not a JSON event' };
    }
  }
  return { ok: false, reason: last };
}

/** A `Stripe-Signature` header for a payload, as Stripe would send it (for the sandbox and tests). */
export async function signWebhook(
  payload: string,
  secret: string,
  timestamp = Math.floor(Date.now() / 1000),
): Promise<string> {
  const { webhooks } = await loadStripeSdk();
  return webhooks.generateTestHeaderString({ payload, secret, timestamp });
}
