import { describe, expect, it } from 'vitest';
import { formatMoney, limitFor, parseAmountLimit } from './amounts.js';

describe('parseAmountLimit', () => {
  it.each([
    ['50000', { default: 50000, byCurrency: {} }],
    ['usd:50000,eur:40000', { byCurrency: { usd: 50000, eur: 40000 } }],
    ['50000, JPY:700000', { default: 50000, byCurrency: { jpy: 700000 } }],
    [0, { default: 0, byCurrency: {} }],
  ])('%j', (spec, expected) => expect(parseAmountLimit(spec)).toEqual(expected));

  it.each(['', '50.00', 'usd:', 'dollars:5', '-5', 'usd:5:6'])('%j is an error', (spec) => {
    expect(parseAmountLimit(spec)).toHaveProperty('error');
  });

  it('limitFor: per-currency first, then the default, else uncovered', () => {
    const l = parseAmountLimit('1000,eur:500') as Exclude<
      ReturnType<typeof parseAmountLimit>,
      { error: string }
    >;
    expect(limitFor(l, 'EUR')).toBe(500);
    expect(limitFor(l, 'usd')).toBe(1000);
    expect(limitFor(parseAmountLimit('eur:500') as never, 'usd')).toBeUndefined();
  });

  it('formatMoney knows zero-decimal currencies', () => {
    expect(formatMoney(123456, 'usd')).toBe('1,234.56 USD');
    expect(formatMoney(1200, 'jpy')).toBe('1,200 JPY');
  });
});
