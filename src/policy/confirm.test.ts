import { describe, expect, it } from 'vitest';
import { parseAmountLimit, type AmountLimit } from './amounts.js';
import { confirmationReason, summarizeCall, type ConfirmMode } from './confirm.js';
import { maskForAudit, redactPii } from './redact.js';

const read = { access: { write: false, moneyMoving: false }, annotations: { destructiveHint: false } };
const write = { access: { write: true, moneyMoving: false }, annotations: { destructiveHint: false } };
const destructive = { access: { write: true, moneyMoving: false }, annotations: { destructiveHint: true } };
const money = { access: { write: true, moneyMoving: true }, annotations: { destructiveHint: false } };
const refund = { access: { write: true, moneyMoving: true }, annotations: { destructiveHint: true } };
const usd = (amount: number): { amount: number; currency: string; unknownAmount?: boolean } => ({
  amount,
  currency: 'usd',
});
const above = (s: string) => parseAmountLimit(s) as AmountLimit;

describe('confirmationReason', () => {
  it.each<
    [string, typeof read, ReturnType<typeof usd> | null, ConfirmMode, AmountLimit | undefined, RegExp | null]
  >([
    ['none: nothing', money, usd(100), 'none', undefined, null],
    ['reads never', read, null, 'all', undefined, null],
    ['all: any write', write, null, 'all', undefined, /every write/],
    ['destructive: destructive writes', destructive, null, 'destructive', undefined, /destructive/],
    ['destructive: not plain writes', write, null, 'destructive', undefined, null],
    ['destructive: a refund is destructive', refund, usd(5), 'destructive', undefined, /destructive/],
    ['money: money-moving calls', money, usd(1), 'money', undefined, /money-moving/],
    ['money: a money tool that moves nothing this time', money, null, 'money', undefined, null],
    ['money: not plain writes', write, null, 'money', undefined, null],
    ['money + above: under the threshold passes', money, usd(5000), 'money', above('5000'), null],
    [
      'money + above: over the threshold asks',
      money,
      usd(5001),
      'money',
      above('5000'),
      /more than 50.00 USD/,
    ],
    [
      'money + above per currency: uncovered currency asks',
      money,
      { amount: 1, currency: 'eur' },
      'money',
      above('usd:5000'),
      /money-moving/,
    ],
    ['none + above: only over the threshold', money, usd(5001), 'none', above('5000'), /more than/],
    ['none + above: under passes', money, usd(10), 'none', above('5000'), null],
    [
      'money: an unknown amount always asks',
      money,
      { amount: 0, currency: 'usd', unknownAmount: true },
      'money',
      above('5000'),
      /cannot be known/,
    ],
    [
      'none: an unknown amount asks nobody without a threshold',
      money,
      { amount: 0, currency: 'usd', unknownAmount: true },
      'none',
      undefined,
      null,
    ],
  ])('%s', (_label, tool, m, mode, confirmAbove, expected) => {
    const reason = confirmationReason(tool, m, { confirm: mode, confirmAbove });
    if (expected === null) expect(reason).toBeNull();
    else expect(reason).toMatch(expected);
  });
});

describe('summarizeCall', () => {
  it('states action, amount, customer and object ids in plain text', () => {
    const text = summarizeCall(
      { name: 'create_refund', title: 'Create refund' },
      { payment_intent: 'pi_3NabcDEF12', reason: 'duplicate' },
      { amount: 1250, currency: 'usd', customer: 'cus_9' },
    );
    expect(text).toBe(
      'Action: Create refund (create_refund)\nAmount: 12.50 USD\nCustomer: cus_9\nObjects: payment_intent=pi_3NabcDEF12\nReason: duplicate',
    );
  });

  it('names ids of any kind, and the request and its ids for the generic write tool', () => {
    const text = summarizeCall(
      { name: 'stripe_api_write', title: 'Write to any Stripe API endpoint' },
      {
        method: 'POST',
        path: '/v1/transfers',
        params: { destination: 'acct_1NxYz12345', source_transaction: 'ch_3AbCdEf678' },
      },
      { amount: 5000, currency: 'usd' },
    );
    expect(text).toContain('Request: POST /v1/transfers');
    expect(text).toContain('Objects: destination=acct_1NxYz12345, source_transaction=ch_3AbCdEf678');
    expect(
      summarizeCall({ name: 'x', title: 'X' }, { payout: 'po_1Nabcdefg', session: 'cs_test_a1B2c3D4' }, null),
    ).toContain('Objects: payout=po_1Nabcdefg, session=cs_test_a1B2c3D4');
  });
});

describe('redaction', () => {
  it('maskForAudit removes card data and secrets at any depth', () => {
    expect(
      maskForAudit({
        a: 'card 4242424242424242',
        b: ['sk_test_abcdefghijkl'],
        n: 4242424242424242,
        ok: 'pi_1',
        card: { cvc: '987', exp_month: 11 },
        'card[cvc]': '987',
        metadata: { card_cvc: ['987'] },
      }),
    ).toEqual({
      a: 'card [card data removed]',
      card: { cvc: '[card data removed]', exp_month: '[card data removed]' },
      'card[cvc]': '[card data removed]',
      metadata: { card_cvc: '[card data removed]' },
      b: ['sk_test_[redacted]'],
      n: '[card data removed]',
      ok: 'pi_1',
    });
  });

  it('redactPii masks only the requested kinds', () => {
    const v = {
      email: 'a@b.co',
      customer_email: 'c@d.co',
      phone: '+1',
      name: 'Ann',
      data: [{ receipt_email: 'x@y.z', amount: 1 }],
      description: null,
    };
    expect(redactPii(v, ['email'])).toEqual({
      ...v,
      email: '[redacted]',
      customer_email: '[redacted]',
      data: [{ receipt_email: '[redacted]', amount: 1 }],
    });
    expect(redactPii(v, ['phone', 'name'])).toMatchObject({
      phone: '[redacted]',
      name: '[redacted]',
      email: 'a@b.co',
    });
    expect(redactPii(v, [])).toBe(v);
  });
});
