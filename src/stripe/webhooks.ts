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
  // The header's shape and timestamp are checked here, so the SDK's errors need no reading of their text:
  // what it still refuses is a signature that does not match (or a body that is not JSON).
  const t = /(?:^|,)\s*t=(\d+)(?:,|$)/.exec(signature)?.[1];
  if (t === undefined || !/(?:^|,)\s*v1=[0-9a-f]+/.test(signature))
    return { ok: false, reason: 'malformed Stripe-Signature header' };
  const age = Date.now() / 1000 - Number(t);
  if (age > toleranceSeconds)
    return { ok: false, reason: `timestamp outside the tolerance of ${toleranceSeconds} s` };
  // The SDK checks only how old a timestamp is; one from the future is as suspect (a replay planted ahead).
  if (-age > toleranceSeconds)
    return { ok: false, reason: `timestamp outside the tolerance of ${toleranceSeconds} s (in the future)` };
  // Verification needs only the SDK's webhook helpers, not an API client or key.
  const Sdk = await loadStripeSdk();
  let reason = 'signature does not match (wrong secret or modified body)';
  for (const secret of secrets) {
    try {
      return { ok: true, event: Sdk.webhooks.constructEvent(raw, signature, secret, toleranceSeconds) };
    } catch (err) {
      if (err instanceof Sdk.errors.StripeSignatureVerificationError) continue;
      reason = 'body is not a JSON event';
      break;
    }
  }
  return { ok: false, reason };
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
