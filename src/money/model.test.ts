import { describe, expect, it } from 'vitest';
import { endpoints } from '../catalog/index.js';
import { minorUnits } from './amount.js';
import { formatMoney } from './currencies.js';
import { classify, MONEY_RULES, moneyFor } from './model.js';
import { MOVES_NONE } from './none.js';

describe('the money model is closed', () => {
  const writes = endpoints().filter((e) => e.method !== 'GET');

  it('every write endpoint of the catalog is declared on purpose: a money rule, or moving none (not both)', () => {
    const undeclared = writes.filter((e) => !(e.id in MONEY_RULES) && !(e.id in MOVES_NONE)).map((e) => e.id);
    const both = writes.filter((e) => e.id in MONEY_RULES && e.id in MOVES_NONE).map((e) => e.id);
    expect(undeclared, 'declare these in src/money/model.ts (MONEY_RULES) or src/money/none.ts').toEqual([]);
    expect(both).toEqual([]);
  });

  it('declares only endpoints that exist (a renamed endpoint cannot leave a stale entry behind)', () => {
    const ids = new Set(writes.map((e) => e.id));
    expect([...Object.keys(MONEY_RULES), ...Object.keys(MOVES_NONE)].filter((id) => !ids.has(id))).toEqual(
      [],
    );
  });

  it('an endpoint it does not know counts as moving money of unknown amount', async () => {
    expect(classify({ id: 'v3.future.payouts.create', method: 'POST' })).toBe('money');
    expect(classify({ id: 'customers.list', method: 'GET' })).toBe('read');
    const ctx = { stripe: undefined as never, defaults: { currency: 'usd' } };
    expect(await moneyFor('v3.future.payouts.create', { params: {} }, ctx)).toEqual({
      amount: 0,
      currency: 'usd',
      unknownAmount: true,
    });
    expect(await moneyFor('customers.create', { params: {} }, ctx)).toBeNull();
  });

  it.each([
    'treasury.outbound_payments.create',
    'v2.money_management.outbound_payments.create',
    'v2.money_management.payout_intents.create',
    'terminal.readers.refundPayment',
    'terminal.readers.processPaymentIntent',
    'subscription_items.create',
    'subscription_schedules.create',
    'subscriptions.resume',
    'quotes.accept',
    'payment_intents.applyCustomerBalance',
    'climate.orders.create',
  ])('%s moves money', (id) => {
    expect(classify({ id, method: 'POST' })).toBe('money');
  });
});

describe('amounts', () => {
  it.each([[1001], ['1001'], [0], ['0']])('accepts %j', (v) => {
    expect(minorUnits(v, 'amount')).toBe(Number(v));
  });
  it.each([
    ['1001.0'],
    [' 1001'],
    ['+1001'],
    ['1e4'],
    [null],
    [-1],
    [1.5],
    ['01001'],
    [2 ** 53],
    [{}],
    [[1]],
  ])('refuses %j', (v) => {
    expect(() => minorUnits(v, 'amount')).toThrow(/whole number of minor units/);
  });
  it('formats three-decimal currencies with three decimals', () => {
    expect(formatMoney(1001, 'kwd')).toBe('1.001 KWD');
    expect(formatMoney(1001, 'BHD')).toBe('1.001 BHD');
    expect(formatMoney(1001, 'usd')).toBe('10.01 USD');
    expect(formatMoney(1001, 'isk')).toBe('1,001 ISK');
  });
});
