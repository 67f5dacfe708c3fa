import { describe, expect, it } from 'vitest';
import { parseAmountLimit, type AmountLimit } from './amounts.js';
import { amountKnownGate, perCallCapGate } from './caps.js';
import { confirmationDeclined, confirmationUnavailable } from './confirm.js';
import { dailyLimitRefusal } from './daily-limit.js';
import { moneyPermissionGate } from './money-permission.js';
import { paymentRequired, quotaExceeded } from './paywall.js';
import { cardDataGate } from './pci.js';
import { refusal, type Refusal, type RefusalCode } from './refusal.js';
import { scopeGate } from './scope.js';

const limit = (s: string) => parseAmountLimit(s) as AmountLimit;
const writeTool = { name: 'stripe_api_write', toolset: 'api', access: { write: true, moneyMoving: false } };

/** One example per code, produced by the gate that decides it (a Record: a new code without an example does not compile). */
const EXAMPLES: Record<RefusalCode, () => Refusal | null> = {
  card_data_refused: () => cardDataGate({ description: 'card 4242 4242 4242 4242' }),
  invalid_arguments: () =>
    refusal(
      'invalid_arguments',
      'Invalid arguments for create_refund: "amount": Too small. Nothing was sent to Stripe.',
    ),
  money_not_allowed: () => moneyPermissionGate(writeTool, true, () => false),
  amount_unknown: () =>
    amountKnownGate({ amount: 0, currency: 'usd', unknownAmount: true }, { maxAmount: limit('5000') }),
  max_amount_exceeded: () => perCallCapGate({ amount: 9000, currency: 'usd' }, { maxAmount: limit('5000') }),
  daily_limit_exceeded: () => dailyLimitRefusal(10_000, 7_500, 5_000, 'usd'),
  confirmation_declined: () => confirmationDeclined('elicitation'),
  confirmation_unavailable: () =>
    confirmationUnavailable('money-moving calls need confirmation (--confirm=money)'),
  insufficient_scope: () => scopeGate({ scopes: new Set(['stripe:read']) }, 'stripe:money'),
  payment_required: () =>
    paymentRequired({
      tool: 'expensive_lookup',
      current: { key: 'free', label: 'Free', price: 'free' },
      needed: { key: 'pro', label: 'Pro', price: '29.00 USD per month', trialDays: 14 },
      url: 'https://mcp.example.com/billing/upgrade/eyJ…',
    }),
  quota_exceeded: () =>
    quotaExceeded({
      tool: 'search',
      plan: { key: 'free', label: 'Free', price: 'free' },
      quota: 'calls_per_day',
      used: 100,
      limit: 100,
      resetsAt: '2026-12-03T00:00:00.000Z',
      upgrade: {
        plan: { key: 'hobby', label: 'Hobby', price: '9.00 USD per month' },
        url: 'https://mcp.example.com/billing/upgrade/eyJ…',
      },
    }),
  approval_required: () =>
    refusal(
      'approval_required',
      "Waiting for approval: create_refund (5.00 USD) needs a person's decision because …",
    ),
};

describe('refusals agents read', () => {
  it('every code, with the message its gate writes (a change here is a change to what agents read)', async () => {
    const seen = Object.fromEntries(
      Object.entries(EXAMPLES).map(([code, make]) => {
        const r = make();
        expect(r?.code, code).toBe(code);
        return [code, { message: r!.message, details: r!.details, decision: r!.decision }];
      }),
    );
    await expect(JSON.stringify(seen, null, 2)).toMatchFileSnapshot('__snapshots__/refusals.json');
  });

  it.each([
    ['card data', () => cardDataGate({ amount: 500, currency: 'usd' })],
    ['money permission, not money', () => moneyPermissionGate(writeTool, false, () => false)],
    ['money permission, allowed', () => moneyPermissionGate(writeTool, true, () => true)],
    ['amount known', () => amountKnownGate({ amount: 500, currency: 'usd' }, { maxAmount: limit('5000') })],
    [
      'amount unknown, no limit for it',
      () =>
        amountKnownGate(
          { amount: 0, currency: 'eur', unknownAmount: true },
          { maxAmount: limit('usd:5000') },
        ),
    ],
    [
      'per-call cap, at the cap',
      () => perCallCapGate({ amount: 5000, currency: 'usd' }, { maxAmount: limit('5000') }),
    ],
    [
      'per-call cap, other currency',
      () => perCallCapGate({ amount: 9000, currency: 'eur' }, { maxAmount: limit('usd:5000') }),
    ],
  ])('%s → allow', (_label, gate) => {
    expect(gate()).toBeNull();
  });

  it('an unknown amount of unknown currency is refused under any limit at all', () => {
    expect(
      amountKnownGate({ amount: 0, currency: '', unknownAmount: true }, { dailyLimit: limit('jpy:1') })?.code,
    ).toBe('amount_unknown');
  });
});
