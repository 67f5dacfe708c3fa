import { describe, expect, it } from 'vitest';
import { canonicalJson, deriveIdempotencyKey } from './idempotency.js';

describe('deriveIdempotencyKey', () => {
  const base = deriveIdempotencyKey('create_refund', { payment_intent: 'pi_1', amount: 500 });

  it('is stable and order-independent', () => {
    expect(deriveIdempotencyKey('create_refund', { amount: 500, payment_intent: 'pi_1' })).toBe(base);
    expect(base).toMatch(/^mcp-stripe:create_refund:[0-9a-f]{40}$/);
  });

  it.each([
    ['another tool', deriveIdempotencyKey('create_payment_intent', { payment_intent: 'pi_1', amount: 500 })],
    ['another amount', deriveIdempotencyKey('create_refund', { payment_intent: 'pi_1', amount: 501 })],
    [
      'another Connect account',
      deriveIdempotencyKey('create_refund', { payment_intent: 'pi_1', amount: 500 }, 'acct_2'),
    ],
    [
      'nested difference',
      deriveIdempotencyKey('create_refund', { payment_intent: 'pi_1', amount: 500, metadata: { a: '1' } }),
    ],
  ])('changes with %s', (_label, other) => {
    expect(other).not.toBe(base);
  });

  it('canonicalJson drops undefined and sorts nested keys', () => {
    expect(canonicalJson({ b: { d: 1, c: [{ z: 1, y: 2 }] }, a: undefined })).toBe(
      '{"b":{"c":[{"y":2,"z":1}],"d":1}}',
    );
  });
});
