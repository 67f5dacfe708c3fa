import type Stripe from 'stripe';
import { redactSecrets } from '../log.js';
import { maskCardData } from '../policy/pci.js';

/** A Stripe failure, described for an agent: what Stripe said and what to do next. */
export interface StripeFailure {
  /** Stripe's error type (`card_error`, `invalid_request_error`, …) or `connection_error`. */
  type: string;
  code?: string;
  decline_code?: string;
  param?: string;
  message: string;
  request_id?: string;
  http_status?: number;
  /** For a declined payment: the payment intent that failed (still usable with another payment method) and its charge. */
  payment_intent?: string;
  charge?: string;
  /** For a restricted key: the permission it lacks (`rak_refund_write`). */
  permission?: string;
  /** Whether repeating the same call (same idempotency key) can succeed. */
  retryable: boolean;
  next_action: string;
}

/** Advice that two codes share: a card to enter again, a decline the bank did not explain. */
const REENTER =
  'Ask the customer to enter their card again through Stripe (Checkout, a Payment Link or Stripe.js). Never collect card details in chat.';
const NO_REASON =
  'The bank declined without a reason: the customer should call their bank or use another payment method.';

const DECLINE_ADVICE: Record<string, string> = {
  insufficient_funds:
    'Ask the customer for another payment method, or for a smaller amount. The same card will fail again now.',
  expired_card: 'Ask the customer for another card; this one has expired.',
  incorrect_cvc: REENTER,
  incorrect_number: REENTER,
  processing_error: 'A processing error at the card network: retry the same call in a little while.',
  authentication_required:
    'The bank requires the customer to authenticate: bring the customer on-session (Checkout, a Payment Link or the hosted invoice page) instead of charging off-session.',
  lost_card: 'The card was reported lost: do not retry it; ask the customer for another payment method.',
  stolen_card: 'The card was reported stolen: do not retry it; ask the customer for another payment method.',
  fraudulent: 'Stripe suspects fraud: do not retry; review the payment in the Dashboard.',
  generic_decline: NO_REASON,
  do_not_honor: NO_REASON,
};

/** What to do about a declined payment: the advice for the first code known (the bank's decline code, then Stripe's). */
export function declineAdvice(...codes: (string | null | undefined)[]): string {
  for (const code of codes) if (code && code in DECLINE_ADVICE) return DECLINE_ADVICE[code]!;
  return 'The card was declined: ask the customer for a different payment method. Retrying the same card will fail again.';
}

export function describeStripeError(err: Stripe.errors.StripeError): StripeFailure {
  // Stripe echoes what it was sent: the parameter name and message may carry card data or a key.
  const param = err.param ? redactSecrets(String(maskCardData(err.param))) : undefined;
  const base = {
    type: err.rawType ?? err.type,
    ...(err.code ? { code: err.code } : {}),
    ...(err.decline_code ? { decline_code: err.decline_code } : {}),
    ...(param ? { param } : {}),
    message: redactSecrets(
      String(maskCardData(err.message || 'Stripe returned an error without a message.')),
    ),
    ...(err.requestId ? { request_id: err.requestId } : {}),
    ...(err.statusCode ? { http_status: err.statusCode } : {}),
  };

  if (err.type === 'StripeCardError') {
    const advice = declineAdvice(err.decline_code, err.code);
    return {
      ...base,
      ...(err.payment_intent?.id ? { payment_intent: err.payment_intent.id } : {}),
      ...(err.charge ? { charge: err.charge } : {}),
      type: 'card_error',
      retryable: err.code === 'processing_error',
      next_action: advice,
    };
  }
  if (err.type === 'StripeIdempotencyError') {
    return {
      ...base,
      type: 'idempotency_error',
      retryable: false,
      next_action:
        'This idempotency key was already used with different arguments. Repeat the original arguments to get the original result, or pass a new idempotency_key if you really mean a second, different operation.',
    };
  }
  if (err.type === 'StripeRateLimitError') {
    return {
      ...base,
      type: 'rate_limit_error',
      retryable: true,
      next_action:
        'Stripe is rate limiting this account: wait a few seconds, then retry the same call (it is safe: the idempotency key prevents duplicates).',
    };
  }
  if (err.type === 'StripeInvalidRequestError') {
    const unrouted = /^Unrecognized request URL/.test(err.message ?? '');
    const next = unrouted
      ? /mcp-stripe sandbox/.test(err.message ?? '')
        ? 'The built-in sandbox does not implement this endpoint (the message names it); no id is wrong. Use another endpoint, or run against a Stripe test key to reach it.'
        : 'No such endpoint: check the method and path (search_stripe_documentation finds the right one).'
      : err.code === 'resource_missing'
        ? `Check the id${param ? ` in "${param}"` : ''}: no such object exists in this account (mind test vs live mode and the Connect account). Look it up with a list tool.`
        : param
          ? `Fix the "${param}" argument as the message says, then call again.`
          : 'Change the request as the message says, then call again.';
    return { ...base, type: 'invalid_request_error', retryable: false, next_action: next };
  }
  if (err.type === 'StripeAuthenticationError') {
    return {
      ...base,
      type: 'authentication_error',
      retryable: false,
      next_action:
        'Fix the server configuration: the Stripe API key (STRIPE_SECRET_KEY / --api-key) is invalid, expired or revoked. Retrying will not help.',
    };
  }
  if (err.type === 'StripePermissionError') {
    const permission = /'(rak_[a-z_]+)'/.exec(err.message ?? '')?.[1];
    return {
      ...base,
      type: 'permission_error',
      ...(permission ? { permission } : {}),
      retryable: false,
      next_action: permission
        ? `The restricted API key lacks the ${permission} permission (${describePermission(permission)}). Add it to the key in the Stripe Dashboard (Developers → API keys → edit the restricted key), or run the server with a key that has it.`
        : 'The API key is not allowed to do this. Use a key with access, or add the missing permission to the restricted key (rk_…) in the Dashboard.',
    };
  }
  if (err.type === 'StripeConnectionError') {
    return {
      ...base,
      type: 'connection_error',
      message:
        'Could not reach the Stripe API (the connection failed or timed out, after the configured retries).',
      retryable: true,
      next_action:
        'Retry the same call shortly; it is safe, because the same idempotency key is sent and Stripe will not repeat a completed write. If it keeps failing, check the network, STRIPE_API_BASE and STRIPE_REQUEST_TIMEOUT.',
    };
  }
  return {
    ...base,
    type: base.type === 'StripeAPIError' ? 'api_error' : base.type,
    retryable: true,
    next_action:
      'Stripe had an internal problem. Retry the same call shortly; it is safe, because the idempotency key prevents a duplicate.',
  };
}

/** `rak_payment_intent_write` → `Payment Intents: Write`, as the Dashboard lists it. */
export function describePermission(permission: string): string {
  const m = /^rak_(.+)_(read|write)$/.exec(permission);
  if (!m) return permission;
  const words = m[1]!.split('_').map((w) => w[0]!.toUpperCase() + w.slice(1));
  const last = words.length - 1;
  if (!words[last]!.endsWith('s')) words[last] = `${words[last]!}s`;
  return `${words.join(' ')}: ${m[2] === 'read' ? 'Read' : 'Write'}`;
}

/** One line of text for an agent (the structured form goes in `structuredContent`). */
export function formatStripeFailure(f: StripeFailure): string {
  const detail = [
    f.code && `code ${f.code}`,
    f.decline_code && `decline_code ${f.decline_code}`,
    f.param && `param ${f.param}`,
    f.payment_intent && `payment_intent ${f.payment_intent}`,
    f.charge && `charge ${f.charge}`,
  ]
    .filter(Boolean)
    .join(', ');
  return [
    `Stripe ${f.type}${detail ? ` (${detail})` : ''}: ${f.message}`,
    `Next: ${f.next_action}`,
    f.request_id ? `Request id: ${f.request_id}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}
