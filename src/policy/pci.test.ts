import { describe, expect, it } from 'vitest';
import { cardDataRefusal, containsCardNumber, findCardData, luhnValid } from './pci.js';

describe('containsCardNumber', () => {
  it.each([
    ['4242424242424242', true],
    ['4242 4242 4242 4242', true],
    ['4242-4242-4242-4242', true],
    ['4242.4242.4242.4242', true],
    ['card: 4000 0566 5566 5556 exp 12/30', true],
    ['5555555555554444', true], // Mastercard
    ['378282246310005', true], // Amex, 15 digits
    ['3782 822463 10005', true], // Amex grouping 4-6-5
    ['6011111111111117', true], // Discover
    ['30569309025904', true], // Diners, 14 digits
    ['6200000000000005', true], // UnionPay
    ['4000002500001001', true],
    ['4242424242424241', false], // fails Luhn
    ['1234567890', false], // too short (a timestamp)
    ['1700000000', false],
    ['pi_3N4242424242424242abc', false], // part of an id
    ['cus_4242424242424242', true], // digits after an underscore still stand alone
    ['000000000000', false],
    ['order 99999999 for $100.00', false],
    ['+1 415 555 2671', false],
    ['', false],
  ])('%j → %s', (text, expected) => {
    expect(containsCardNumber(text)).toBe(expected);
  });
});

describe('findCardData', () => {
  it.each([
    [{ description: 'card 4242424242424242' }, 'description', 'card number'],
    [{ metadata: { note: '4242 4242 4242 4242' } }, 'metadata.note', 'card number'],
    [{ items: [{ price: 'price_1' }, { note: '5555-5555-5555-4444' }] }, 'items[1].note', 'card number'],
    [{ card_number: '4111' }, 'card_number', 'card number'],
    [{ cardNumber: 'x' }, 'cardNumber', 'card number'],
    [
      { payment_method_data: { card: { number: '4242', exp_month: 12 } } },
      'payment_method_data.card.number',
      'card number',
    ],
    [{ card: { cvc: '123' } }, 'card.cvc', 'card security code'],
    [{ cvv: 123 }, 'cvv', 'card security code'],
    [{ exp_month: 12 }, 'exp_month', 'card expiry'],
    [{ amount: 4242424242424242 }, 'amount', 'card number'],
    [{ metadata: { '4242424242424242': 'x' } }, 'metadata.4242424242424242', 'card number'],
  ])('%j → %s', (args, path, what) => {
    expect(findCardData(args)).toEqual({ path, what });
  });

  it.each([
    [{ amount: 2000, currency: 'usd', payment_method: 'pm_card_visa' }],
    [{ invoice: { number: 'ABC-0001' } }], // "number" outside a card object is fine
    [{ cvc: '' }], // no raw value
    [{ created: 1700000000, limit: 100 }],
    [{ phone: '+14155552671', description: 'Order #12345678' }],
  ])('%j passes', (args) => {
    expect(findCardData(args)).toBeNull();
  });
});

describe('luhnValid', () => {
  it('accepts known test cards and rejects a changed digit', () => {
    expect(luhnValid('4242424242424242')).toBe(true);
    expect(luhnValid('4242424242424243')).toBe(false);
  });
});

describe('cardDataRefusal', () => {
  it('names the argument, never the value, and points to tokenization', () => {
    const text = cardDataRefusal({ path: 'description', what: 'card number' });
    expect(text).toContain('"description"');
    expect(text).toMatch(/Checkout/);
    expect(text).toMatch(/pm_/);
    expect(text).toContain('Nothing was sent to Stripe');
  });
});
