import { describe, expect, it } from 'vitest';
import { callIdentity, canonicalJson, requestIdempotencyKey } from './idempotency.js';

describe('callIdentity', () => {
  const base = callIdentity('create_refund', { payment_intent: 'pi_1', amount: 500 });

  it('is stable and order-independent', () => {
    expect(callIdentity('create_refund', { amount: 500, payment_intent: 'pi_1' })).toBe(base);
    expect(base).toMatch(/^mcp-stripe:create_refund:[0-9a-f]{40}$/);
  });

  it.each([
    ['another tool', callIdentity('create_payment_intent', { payment_intent: 'pi_1', amount: 500 })],
    ['another amount', callIdentity('create_refund', { payment_intent: 'pi_1', amount: 501 })],
    [
      'another Connect account',
      callIdentity('create_refund', { payment_intent: 'pi_1', amount: 500 }, 'acct_2'),
    ],
    [
      'nested difference',
      callIdentity('create_refund', { payment_intent: 'pi_1', amount: 500, metadata: { a: '1' } }),
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

describe('requestIdempotencyKey: one request as Stripe receives it, one key', () => {
  const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
  const key = (body: string, headers: Record<string, unknown> = form, path = '/v1/payment_intents') =>
    requestIdempotencyKey('POST', path, headers, body);
  const base = key('amount=1000&currency=usd&confirm=true');

  it.each([
    ['parameters in another order', key('confirm=true&currency=usd&amount=1000')],
    ['the currency in capitals', key('amount=1000&currency=USD&confirm=true')],
  ])('is the same for %s', (_label, other) => {
    expect(other).toBe(base);
  });

  it.each([
    ['another amount', key('amount=1001&currency=usd&confirm=true')],
    ['another path', key('amount=1000&currency=usd&confirm=true', form, '/v1/charges')],
    [
      'another Connect account',
      key('amount=1000&currency=usd&confirm=true', { ...form, 'Stripe-Account': 'acct_2' }),
    ],
    ['a description in capitals', key('amount=1000&currency=usd&confirm=true&description=USD')],
  ])('changes with %s', (_label, other) => {
    expect(other).not.toBe(base);
  });

  it('reads v2 JSON bodies canonically', () => {
    const json = { 'Content-Type': 'application/json' };
    expect(key('{"amount":{"value":5,"currency":"USD"},"to":{"recipient":"r"}}', json, '/v2/x')).toBe(
      key('{"to":{"recipient":"r"},"amount":{"currency":"usd","value":5}}', json, '/v2/x'),
    );
  });
});
