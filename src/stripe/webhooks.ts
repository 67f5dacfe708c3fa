import Stripe from 'stripe';

/** Verification only needs the SDK's webhook helpers, not an API client or key. */
const webhooks = Stripe.webhooks;

export type VerifyResult = { ok: true; event: Stripe.Event } | { ok: false; reason: string };

/**
 * Verifies `Stripe-Signature` over the exact raw bytes with each configured secret (several during a
 * rotation). The reason on failure is short and never includes a secret.
 */
export function verifyWebhook(
  raw: Buffer,
  signature: string | undefined,
  secrets: readonly string[],
  toleranceSeconds: number,
): VerifyResult {
  if (!signature) return { ok: false, reason: 'missing Stripe-Signature header' };
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
export function signWebhook(
  payload: string,
  secret: string,
  timestamp = Math.floor(Date.now() / 1000),
): string {
  return webhooks.generateTestHeaderString({ payload, secret, timestamp });
}
