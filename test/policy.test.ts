import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAmountLimit, type AmountLimit } from '../src/policy/amounts.js';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import { createMemoryStore } from '../src/storage/memory/index.js';
import { selectTools } from '../src/tools/registry.js';
import { startStack, writesSeen } from './helpers.js';

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ restrictedKeys: { rk_test_readonlycustomers: ['rak_customer_read'] } });
});
afterAll(async () => {
  await sandbox.close();
});

const limit = (s: string) => parseAmountLimit(s) as AmountLimit;
const meta = (r: { result: { _meta?: Record<string, unknown> } }) =>
  r.result._meta?.['mcp-stripe'] as Record<string, any>;

describe('permissions through the client', () => {
  it('read-only hides every write tool, and calling one fails', async () => {
    const s = await startStack({
      reuse: sandbox,
      tools: selectTools({ readOnly: true, allow: ['customers.*', 'create_refund'] }),
    });
    try {
      expect((await s.client.listTools()).tools.map((t) => t.name)).toEqual([
        'retrieve_customer',
        'list_customers',
      ]);
      await expect(s.client.callTool({ name: 'create_customer', arguments: {} })).rejects.toThrow(
        /create_customer not found/,
      );
    } finally {
      await s.close();
    }
  });

  it('globs with deny: refunds.* minus refunds.write', async () => {
    const s = await startStack({
      reuse: sandbox,
      tools: selectTools({ allow: ['refunds.*', '*_payment_intent'], deny: ['refunds.write', 'cancel_*'] }),
    });
    try {
      expect((await s.client.listTools()).tools.map((t) => t.name)).toEqual([
        'create_payment_intent',
        'retrieve_payment_intent',
        'confirm_payment_intent',
        'capture_payment_intent',
        'list_refunds',
      ]);
    } finally {
      await s.close();
    }
  });
});

describe('money limits', () => {
  it('--max-amount refuses a larger call before anything reaches Stripe, per currency', async () => {
    const s = await startStack({ reuse: sandbox, runner: { policy: { maxAmount: limit('5000,eur:1000') } } });
    try {
      const before = writesSeen(sandbox);
      const big = await s.call('create_payment_intent', {
        amount: 5001,
        payment_method: 'pm_card_visa',
        confirm: true,
      });
      expect(big.isError).toBe(true);
      expect(big.text).toContain('above the per-call limit of 50.00 USD');
      expect(big.text).toContain('Nothing was sent to Stripe');
      expect(writesSeen(sandbox)).toBe(before);
      expect(
        (
          await s.call('create_payment_intent', {
            amount: 5000,
            payment_method: 'pm_card_visa',
            confirm: true,
          })
        ).data.status,
      ).toBe('succeeded');
      expect(
        (
          await s.call('create_payment_intent', {
            amount: 1001,
            currency: 'eur',
            payment_method: 'pm_card_visa',
            confirm: true,
          })
        ).text,
      ).toContain('10.00 EUR');
      // Not confirmed: no money moves, so no cap applies.
      expect(
        (await s.call('create_payment_intent', { amount: 9999, payment_method: 'pm_card_visa' })).isError,
      ).toBe(false);
    } finally {
      await s.close();
    }
  });

  it('--max-amount applies to a full refund by what it would return', async () => {
    const s = await startStack({ reuse: sandbox, runner: { policy: { maxAmount: limit('3000') } } });
    try {
      const pi = (
        await s.call('create_payment_intent', { amount: 3000, payment_method: 'pm_card_visa', confirm: true })
      ).data;
      const direct = await s.stripe.paymentIntents.create({
        amount: 8000,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
      });
      expect((await s.call('create_refund', { payment_intent: direct.id })).text).toContain(
        'would move 80.00 USD',
      );
      expect((await s.call('create_refund', { payment_intent: pi.id })).isError).toBe(false);
    } finally {
      await s.close();
    }
  });

  it('--daily-limit counts durably across a restart, says limit, used and remaining, and does not count a capture twice', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mcp-stripe-limits-'));
    const { createSqliteStore } = await import('../src/storage/sqlite/index.js');
    const open = () => createSqliteStore(join(dataDir, 'mcp-stripe.db'));

    const store1 = open();
    const s1 = await startStack({
      reuse: sandbox,
      runner: {
        policy: { dailyLimit: { limit: limit('10000'), ledger: store1.ledger } },
        audit: store1.audit,
      },
    });
    const auth = (
      await s1.call('create_payment_intent', {
        amount: 4000,
        payment_method: 'pm_card_visa',
        capture_method: 'manual',
        confirm: true,
      })
    ).data;
    expect((await s1.call('capture_payment_intent', { payment_intent: auth.id })).data.status).toBe(
      'succeeded',
    );
    await s1.call('create_refund', { payment_intent: auth.id, amount: 1000 });
    await s1.close();
    await store1.close();

    const store2 = open();
    const s2 = await startStack({
      reuse: sandbox,
      runner: {
        policy: { dailyLimit: { limit: limit('10000'), ledger: store2.ledger } },
        audit: store2.audit,
      },
    });
    try {
      const over = await s2.call('create_payment_intent', {
        amount: 5001,
        payment_method: 'pm_card_visa',
        confirm: true,
      });
      expect(over.isError).toBe(true);
      expect(over.text).toContain(
        'the daily limit for USD is 100.00 USD per rolling 24 hours; 50.00 USD has been used, 50.00 USD remains',
      );
      expect(meta(over)).toMatchObject({ error: 'daily_limit_exceeded', used: 5000, remaining: 5000 });
      expect(
        (
          await s2.call('create_payment_intent', {
            amount: 5000,
            payment_method: 'pm_card_visa',
            confirm: true,
          })
        ).isError,
      ).toBe(false);
      expect(
        (
          await s2.call('create_payment_intent', {
            amount: 100,
            currency: 'eur',
            payment_method: 'pm_card_visa',
            confirm: true,
          })
        ).isError,
      ).toBe(false);
    } finally {
      await s2.close();
      await store2.close();
    }
  });

  it('a declined charge does not use up the daily limit', async () => {
    const store = createMemoryStore();
    const s = await startStack({
      reuse: sandbox,
      runner: { policy: { dailyLimit: { limit: limit('5000'), ledger: store.ledger } } },
    });
    try {
      await s.call('create_payment_intent', {
        amount: 5000,
        payment_method: 'pm_card_chargeDeclined',
        confirm: true,
      });
      expect(
        (
          await s.call('create_payment_intent', {
            amount: 5000,
            payment_method: 'pm_card_visa',
            confirm: true,
          })
        ).isError,
      ).toBe(false);
    } finally {
      await s.close();
    }
  });
});

describe('confirmation by elicitation', () => {
  for (const era of ['auto', 'legacy'] as const) {
    describe(era === 'auto' ? '2026-07-28 (multi-round-trip)' : '2025 (server-to-client request)', () => {
      it('the human accepts: the call runs once, and the summary named the amount and customer', async () => {
        const asked: string[] = [];
        const s = await startStack({
          reuse: sandbox,
          era,
          runner: { policy: { confirm: 'money' } },
          clientCapabilities: { elicitation: { form: {} } },
          onElicit: (message) => (asked.push(message), { action: 'accept', content: { approve: true } }),
        });
        try {
          expect(s.client.getNegotiatedProtocolVersion()).toBe(era === 'auto' ? '2026-07-28' : '2025-11-25');
          const c = await s.stripe.customers.create({ email: `elicit-${era}@example.com` });
          const r = await s.call('create_payment_intent', {
            amount: 2500,
            customer: c.id,
            payment_method: 'pm_card_visa',
            confirm: true,
          });
          expect(r.isError, r.text).toBe(false);
          expect(r.data.status).toBe('succeeded');
          expect(asked).toHaveLength(1);
          expect(asked[0]).toContain('Amount: 25.00 USD');
          expect(asked[0]).toContain(`Customer: ${c.id}`);
          expect(asked[0]).toContain('create_payment_intent');
          // Reads and non-money writes are not confirmed.
          await s.call('list_customers');
          await s.call('create_customer', { email: 'x@example.com' });
          expect(asked).toHaveLength(1);
        } finally {
          await s.close();
        }
      });

      it.each([
        ['declines', { action: 'decline' as const }],
        ['cancels', { action: 'cancel' as const }],
        ['accepts without approving', { action: 'accept' as const, content: { approve: false } }],
      ])('the human %s: nothing is sent to Stripe and the result says so', async (_label, answer) => {
        const s = await startStack({
          reuse: sandbox,
          era,
          runner: { policy: { confirm: 'money' } },
          clientCapabilities: { elicitation: { form: {} } },
          onElicit: () => answer,
        });
        try {
          const pi = await s.stripe.paymentIntents.create({
            amount: 1000,
            currency: 'usd',
            payment_method: 'pm_card_visa',
            confirm: true,
          });
          const writes = writesSeen(sandbox);
          const declined = await s.call('create_refund', { payment_intent: pi.id });
          expect(declined.isError).toBe(true);
          expect(declined.text).toMatch(/^Not done: the person asked to confirm this call declined it/);
          expect(writesSeen(sandbox)).toBe(writes);
          expect((await s.stripe.refunds.list({ payment_intent: pi.id })).data).toEqual([]);
        } finally {
          await s.close();
        }
      });
    });
  }

  it('elicitation only, and a client without it: refused, with how to enable confirmation', async () => {
    const s = await startStack({ reuse: sandbox, runner: { policy: { confirm: 'all' } } });
    try {
      const before = writesSeen(sandbox);
      const r = await s.call('create_customer', { email: 'nobody@example.com' });
      expect(r.isError).toBe(true);
      expect(r.text).toContain('every write needs confirmation');
      expect(r.text).toMatch(/this MCP client does not support elicitation.*--confirm-channel=console/);
      expect(writesSeen(sandbox)).toBe(before);
    } finally {
      await s.close();
    }
  });

  it('--confirm-above asks only above the threshold', async () => {
    let asked = 0;
    const s = await startStack({
      reuse: sandbox,
      runner: { policy: { confirm: 'none', confirmAbove: limit('10000') } },
      clientCapabilities: { elicitation: { form: {} } },
      onElicit: () => (asked++, { action: 'accept', content: { approve: true } }),
    });
    try {
      await s.call('create_payment_intent', { amount: 10000, payment_method: 'pm_card_visa', confirm: true });
      expect(asked).toBe(0);
      await s.call('create_payment_intent', { amount: 10001, payment_method: 'pm_card_visa', confirm: true });
      expect(asked).toBe(1);
    } finally {
      await s.close();
    }
  });
});

describe('restricted keys', () => {
  it('a 403 names the permission to add to the key', async () => {
    const s = await startStack({ reuse: sandbox, apiKey: 'rk_test_readonlycustomers', maxNetworkRetries: 0 });
    try {
      expect((await s.call('list_customers')).isError).toBe(false);
      const r = await s.call('create_customer', { email: 'rk@example.com' });
      expect(r.isError).toBe(true);
      expect(r.text).toContain('lacks the rak_customer_write permission (Customers: Write)');
      expect(meta(r).stripe_error).toMatchObject({
        type: 'permission_error',
        permission: 'rak_customer_write',
      });
      const refund = await s.call('list_refunds');
      expect(refund.text).toContain('lacks the rak_refund_read permission (Refunds: Read)');
    } finally {
      await s.close();
    }
  });
});

describe('audit and redaction', () => {
  it('every call is audited: allowed, refused and failed, with masked arguments, request ids and keys', async () => {
    const store = createMemoryStore();
    const s = await startStack({
      reuse: sandbox,
      runner: { policy: { maxAmount: limit('1000') }, audit: store.audit },
    });
    try {
      await s.call('create_customer', {
        email: 'audit@example.com',
        description: 'token sk_test_abcdefghijklmnop',
      });
      await s.call('create_payment_intent', { amount: 5000, payment_method: 'pm_card_visa', confirm: true });
      await s.call('create_customer', { description: 'card 4242 4242 4242 4242' });
      await s.call('retrieve_customer', { customer: 'cus_missing' });
      const records = await store.audit.query({});
      expect(records.map((r) => [r.tool, r.decision, r.outcome])).toEqual([
        ['create_customer', 'allowed', 'ok'],
        ['create_payment_intent', 'denied', 'refused'],
        ['create_customer', 'denied', 'refused'],
        ['retrieve_customer', 'allowed', 'error'],
      ]);
      expect(records[0]!.requestIds[0]).toMatch(/^req_/);
      expect(records[0]!.idempotencyKey).toMatch(/^mcp-stripe:[0-9a-f]{40}$/);
      expect(records[0]!.caller).toBeTruthy();
      expect(JSON.stringify(records)).not.toContain('abcdefghijklmnop');
      expect(JSON.stringify(records)).not.toMatch(/4242 4242/);
      expect(records[1]!.reason).toContain('per-call limit');
      expect(records[3]!.error).toBe('invalid_request_error:resource_missing');
    } finally {
      await s.close();
    }
  });

  it('--redact=email,phone masks customer PII in results', async () => {
    const s = await startStack({ reuse: sandbox, runner: { policy: { redact: ['email', 'phone'] } } });
    try {
      const c = await s.call('create_customer', {
        email: 'pii@example.com',
        phone: '+14155550123',
        name: 'Pat',
      });
      expect(c.data).toMatchObject({ email: '[redacted]', phone: '[redacted]', name: 'Pat' });
      expect(c.text).not.toContain('pii@example.com');
      const list = await s.call('list_customers', { email: 'pii@example.com' });
      expect(list.data.data[0].email).toBe('[redacted]');
    } finally {
      await s.close();
    }
  });
});
