import { describe, expect, it } from 'vitest';
import { parseAmountLimit, type AmountLimit } from './amounts.js';
import { stricterConfirm, stricterLimit } from './combine.js';

const l = (s: string) => parseAmountLimit(s) as AmountLimit;

describe('a tenant policy inside the server policy', () => {
  it.each([
    ['5000', '3000', { default: 3000, byCurrency: {} }],
    ['5000', 'usd:7000', { default: 5000, byCurrency: { usd: 5000 } }],
    ['usd:2000', '5000,jpy:90000', { default: 5000, byCurrency: { usd: 2000, jpy: 90000 } }],
    ['usd:2000', 'eur:1000', { byCurrency: { usd: 2000, eur: 1000 } }],
  ])('limits %s and %s → the lower per currency', (a, b, expected) => {
    expect(stricterLimit(l(a), l(b))).toEqual(expected);
  });

  it('a missing limit takes the other', () => {
    expect(stricterLimit(undefined, l('5'))).toEqual(l('5'));
    expect(stricterLimit(l('5'), undefined)).toEqual(l('5'));
  });

  it.each([
    ['none', 'money', 'money'],
    ['money', 'none', 'money'],
    ['money', 'destructive', 'all'],
    ['all', 'none', 'all'],
    ['destructive', undefined, 'destructive'],
  ] as const)('confirm %s with %s → %s', (a, b, expected) => {
    expect(stricterConfirm(a, b)).toBe(expected);
  });
});
