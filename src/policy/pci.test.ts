import { describe, expect, it } from 'vitest';
import { cardDataRefusal, containsCardNumber, findCardData, luhnValid, maskCardData } from './pci.js';

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

/** A deterministic generator (the test must not depend on luck). */
function rng(seed: number) {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

function withLuhn(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(body + d)) return body + d;
  throw new Error('unreachable');
}

const CARDS = [
  '4242424242424242',
  '5555555555554444',
  '378282246310005',
  '6011111111111117',
  '30569309025904',
  '3566002020360505',
  '6200000000000005',
  '2223003122003222',
];

const digitsIn = (zero: number) => (s: string) =>
  s.replace(/\d/g, (d) => String.fromCodePoint(zero + Number(d)));

const ENCODINGS: [string, (s: string) => string][] = [
  ['fullwidth', digitsIn(0xff10)],
  ['Arabic-Indic', digitsIn(0x0660)],
  ['Persian', digitsIn(0x06f0)],
  ['Devanagari', digitsIn(0x0966)],
  ['mathematical bold', digitsIn(0x1d7ce)],
  ['zero-width spaces', (s) => s.split('').join('\u200b')],
  ['soft hyphens', (s) => s.split('').join('\u00ad')],
  ['word joiners', (s) => s.split('').join('\u2060')],
  ['URL-encoded', (s) => encodeURIComponent(s.replace(/(\d{4})/g, '$1 ').trim())],
  ['percent-encoded digits', (s) => s.replace(/\d/g, (d) => `%3${d}`)],
  ['double spaces', (s) => s.replace(/(\d{4})(?=\d)/g, '$1  ')],
  ['NBSP', (s) => s.replace(/(\d{4})(?=\d)/g, '$1\u00a0')],
  ['tabs', (s) => s.replace(/(\d{4})(?=\d)/g, '$1\t')],
  ['newlines', (s) => s.replace(/(\d{4})(?=\d)/g, '$1\n')],
  ['slashes', (s) => s.replace(/(\d{4})(?=\d)/g, '$1/')],
  ['underscores', (s) => s.replace(/(\d{4})(?=\d)/g, '$1_')],
  ['commas', (s) => s.replace(/(\d{4})(?=\d)/g, '$1,')],
  ['dash and space', (s) => s.replace(/(\d{4})(?=\d)/g, '$1 - ')],
];

describe('the guard is not evaded by how a card number is written', () => {
  it.each(ENCODINGS)('%s: every test card is refused', (_label, encode) => {
    for (const card of CARDS) {
      const text = `pay with ${encode(card)} thanks`;
      expect(findCardData({ description: text }), `${card} as ${JSON.stringify(text)}`).toEqual({
        path: 'description',
        what: 'card number',
      });
    }
  });

  it.each([
    [{ 'card[cvc]': '123' }, 'card[cvc]', 'card security code'],
    [{ 'card[exp_month]': '12' }, 'card[exp_month]', 'card expiry'],
    [{ 'card[number]': 'x' }, 'card[number]', 'card number'],
    [{ 'payment_method_data[card][cvc]': '123' }, 'payment_method_data[card][cvc]', 'card security code'],
    [{ metadata: { card_cvc: '123' } }, 'metadata.card_cvc', 'card security code'],
    [{ metadata: { cardCvv: '123' } }, 'metadata.cardCvv', 'card security code'],
    [{ card: { cvc: ['123'] } }, 'card.cvc', 'card security code'],
    [{ card: { cvc: { value: '123' } } }, 'card.cvc', 'card security code'],
    [{ card: { exp_month: [11] } }, 'card.exp_month', 'card expiry'],
  ])('%j → %s', (args, path, what) => {
    expect(findCardData(args)).toEqual({ path, what });
  });
});

describe('realistic values that are not cards pass', () => {
  const random = rng(42);
  const digits = (n: number, first = '') => {
    let s = first;
    while (s.length < n) s += String(Math.floor(random() * 10));
    return s;
  };

  it('no millisecond timestamp is refused (10,000 of them, as numbers and in text)', () => {
    const refused = [];
    for (let i = 0; i < 10_000; i++) {
      const ms = 946_684_800_000 + Math.floor(random() * 3_000_000_000_000); // 2000 → 2095
      if (findCardData({ created_ms: ms, note: `at ${ms}`, metadata: { t: String(ms) } })) refused.push(ms);
    }
    expect(refused).toEqual([]);
  });

  it('at most 0.5% of ids, phone numbers, IBANs, IMEIs and huge integers are refused', () => {
    const values: Record<string, unknown>[] = [];
    for (let i = 0; i < 2_000; i++) {
      values.push({ order_id: digits(12 + (i % 8)) });
      values.push({ id: digits(16) });
      values.push({ metadata: { order_number: digits(14) } });
      values.push({ snowflake: digits(19, '1') }); // database / snowflake ids start with 1
      values.push({ phone: `+${digits(11 + (i % 4))}` });
      values.push({ description: `Call +${digits(2)} ${digits(3)} ${digits(4)} ${digits(4)}` });
      values.push({
        iban: `DE${digits(2)} ${digits(4)} ${digits(4)} ${digits(4)} ${digits(4)} ${digits(2)}`,
      });
      values.push({ description: `IBAN GB${digits(2)} NWBK ${digits(4)} ${digits(4)} ${digits(2)}` });
      values.push({
        description: `wire to FR${digits(2)} ${digits(4)} ${digits(4)} ${digits(4)} ${digits(4)} ${digits(4)} ${digits(3)}`,
      });
      values.push({ imei: withLuhn(digits(14, '35')) });
      values.push({ device: `IMEI ${withLuhn(digits(14, '86'))}` });
      values.push({ big: 2 ** 53 + Math.floor(random() * 1e6) * 1e4 });
    }
    const refused = values.filter((v) => findCardData(v));
    expect(refused.length / values.length).toBeLessThanOrEqual(0.005);
  });
});

describe('maskCardData', () => {
  it('masks card numbers in Stripe data in any encoding and keeps the rest of the text', () => {
    expect(
      maskCardData({ data: { object: { description: 'card ４２４２４２４２４２４２４２４２ used' } } }),
    ).toEqual({ data: { object: { description: 'card [card data removed] used' } } });
  });
});
