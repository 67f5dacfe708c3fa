import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { describeStripeError, formatStripeFailure } from './errors.js';

const raw = (statusCode: number, fields: Record<string, unknown>) =>
  ({ statusCode, requestId: 'req_123', ...fields }) as never;

describe('describeStripeError', () => {
  it("masks card data and keys in Stripe's param and message", () => {
    const f = describeStripeError(
      new Stripe.errors.StripeInvalidRequestError(
        raw(400, {
          type: 'invalid_request_error',
          param: 'metadata[4242424242424242]',
          message: 'Invalid metadata key 4242 4242 4242 4242 (key sk_test_abcdefghijklmnop)',
        }),
      ),
    );
    expect(JSON.stringify(f)).not.toMatch(/4242|abcdefghijklmnop/);
    expect(f.param).toBe('metadata[[card data removed]]');
  });

  it.each([
    [
      new Stripe.errors.StripeCardError(
        raw(402, {
          type: 'card_error',
          code: 'card_declined',
          decline_code: 'insufficient_funds',
          message: 'Your card has insufficient funds.',
        }),
      ),
      'card_error',
      false,
      /smaller amount/,
    ],
    [
      new Stripe.errors.StripeCardError(
        raw(402, {
          type: 'card_error',
          code: 'card_declined',
          decline_code: 'do_not_honor',
          message: 'Declined.',
        }),
      ),
      'card_error',
      false,
      /call their bank or use another payment method/,
    ],
    [
      new Stripe.errors.StripeInvalidRequestError(
        raw(400, { type: 'invalid_request_error', param: 'amount', message: 'Bad.' }),
      ),
      'invalid_request_error',
      false,
      /Fix the "amount" argument/,
    ],
    [
      new Stripe.errors.StripeInvalidRequestError(
        raw(404, {
          type: 'invalid_request_error',
          code: 'resource_missing',
          param: 'customer',
          message: 'No such customer',
        }),
      ),
      'invalid_request_error',
      false,
      /Check the id in "customer"/,
    ],
    [
      new Stripe.errors.StripeInvalidRequestError(
        raw(404, {
          type: 'invalid_request_error',
          code: 'resource_missing',
          message:
            'Unrecognized request URL (GET: /v1/payouts). The mcp-stripe sandbox does not implement this endpoint; it implements the endpoints the named tools use.',
        }),
      ),
      'invalid_request_error',
      false,
      /sandbox does not implement this endpoint.*no id is wrong/,
    ],
    [
      new Stripe.errors.StripeIdempotencyError(raw(400, { type: 'idempotency_error', message: 'Keys…' })),
      'idempotency_error',
      false,
      /new idempotency_key/,
    ],
    [
      new Stripe.errors.StripeAuthenticationError(
        raw(401, {
          type: 'invalid_request_error',
          message: 'Invalid API Key provided: sk_test_********1234',
        }),
      ),
      'authentication_error',
      false,
      /configuration/,
    ],
    [
      new Stripe.errors.StripePermissionError(raw(403, { type: 'invalid_request_error', message: 'No.' })),
      'permission_error',
      false,
      /restricted key/,
    ],
    [
      new Stripe.errors.StripeRateLimitError(
        raw(429, { type: 'invalid_request_error', code: 'rate_limit', message: 'Slow down.' }),
      ),
      'rate_limit_error',
      true,
      /wait a few seconds/,
    ],
    [
      new Stripe.errors.StripeConnectionError(
        raw(0, { type: 'StripeConnectionError', message: 'ECONNREFUSED 127.0.0.1' }),
      ),
      'connection_error',
      true,
      /Retry the same call shortly/,
    ],
    [
      new Stripe.errors.StripeAPIError(raw(500, { type: 'api_error', message: 'Oops.' })),
      'api_error',
      true,
      /internal problem/,
    ],
  ])('%s', (err, type, retryable, next) => {
    const f = describeStripeError(err);
    expect(f.type).toBe(type);
    expect(f.retryable).toBe(retryable);
    expect(f.next_action).toMatch(next);
    expect(f.request_id).toBe('req_123');
  });

  it('secrets in Stripe messages are redacted', () => {
    const f = describeStripeError(
      new Stripe.errors.StripeAuthenticationError(
        raw(401, { message: `Invalid API Key provided: sk_live_${'abcdef'}123456789` }),
      ),
    );
    expect(f.message).not.toContain('abcdef123456789');
    expect(formatStripeFailure(f)).not.toContain('abcdef123456789');
  });

  it('connection errors do not leak addresses', () => {
    const f = describeStripeError(
      new Stripe.errors.StripeConnectionError(raw(0, { message: 'connect ECONNREFUSED 10.1.2.3:443' })),
    );
    expect(f.message).not.toContain('10.1.2.3');
  });
});
