import { describe, expect, it } from 'vitest';
import { matches, selectPermitted, type PermissionConfig } from './permissions.js';

const tool = (name: string, toolset: string, write: boolean, moneyMoving = false) => ({
  name,
  toolset,
  access: { write, moneyMoving },
});
const TOOLS = [
  tool('list_customers', 'customers', false),
  tool('create_customer', 'customers', true),
  tool('create_refund', 'refunds', true, true),
  tool('list_refunds', 'refunds', false),
  tool('create_payment_intent', 'payment_intents', true, true),
  tool('retrieve_balance', 'balance', false),
];
const select = (cfg: Partial<PermissionConfig>) => {
  const r = selectPermitted(TOOLS, { allow: 'all', deny: [], readOnly: false, ...cfg });
  return r.problems.length ? r.problems.join('\n') : r.tools.map((t) => t.name);
};

describe('matches', () => {
  it.each([
    ['all', 'create_refund', true],
    ['*', 'list_customers', true],
    ['create_refund', 'create_refund', true],
    ['create_refund', 'list_refunds', false],
    ['list_*', 'list_refunds', true],
    ['list_*', 'create_refund', false],
    ['customers.*', 'create_customer', true],
    ['customers.*', 'create_refund', false],
    ['refunds.write', 'create_refund', true],
    ['refunds.write', 'list_refunds', false],
    ['*.read', 'retrieve_balance', true],
    ['*.read', 'create_customer', false],
    ['*.money', 'create_payment_intent', true],
    ['*.money', 'create_customer', false],
  ])('%s ~ %s → %s', (pattern, name, expected) => {
    expect(
      matches(
        pattern,
        TOOLS.find((t) => t.name === name)!,
      ),
    ).toBe(expected);
  });
});

describe('selectPermitted', () => {
  it.each<[string, Partial<PermissionConfig>, string[] | RegExp]>([
    ['default: everything', {}, TOOLS.map((t) => t.name)],
    ['allow by name', { allow: ['create_refund'] }, ['create_refund']],
    ['allow by toolset glob', { allow: ['customers.*'] }, ['list_customers', 'create_customer']],
    ['allow all reads', { allow: ['*.read'] }, ['list_customers', 'list_refunds', 'retrieve_balance']],
    ['deny beats allow', { allow: ['refunds.*'], deny: ['refunds.write'] }, ['list_refunds']],
    [
      'deny money everywhere',
      { deny: ['*.money'] },
      ['list_customers', 'create_customer', 'list_refunds', 'retrieve_balance'],
    ],
    ['read-only beats allow', { allow: ['create_refund', 'list_refunds'], readOnly: true }, ['list_refunds']],
    ['read-only alone', { readOnly: true }, ['list_customers', 'list_refunds', 'retrieve_balance']],
    [
      'operations map families to toolsets',
      { operations: ['customers', 'refunds'] },
      ['list_customers', 'create_customer', 'create_refund', 'list_refunds'],
    ],
    ['payments family', { operations: ['payments'] }, ['create_payment_intent']],
    ['operations intersect with allow', { operations: ['customers'], allow: ['*.read'] }, ['list_customers']],
    [
      'unknown pattern is an error',
      { allow: ['create_charge'] },
      /--tools pattern "create_charge" matches no tool/,
    ],
    ['bad access word', { deny: ['refunds.delete'] }, /after the dot use read, write, money or \*/],
    ['unknown family', { operations: ['payouts'] }, /unknown family "payouts"/],
  ])('%s', (_label, cfg, expected) => {
    const got = select(cfg);
    if (expected instanceof RegExp) expect(got).toMatch(expected);
    else expect(got).toEqual(expected);
  });
});
