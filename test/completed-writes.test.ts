import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { parseAmountLimit, type AmountLimit } from '../src/policy/amounts.js';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import { createMemoryStore } from '../src/storage/memory/index.js';
import type { AuditLog, AuditRecord, MoneyLedger } from '../src/storage/ports.js';
import { CREATE, defineTool } from '../src/tools/define-tool.js';
import { ALL_TOOLS } from '../src/tools/registry.js';
import { startStack } from './helpers.js';

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

const limit = (s: string) => parseAmountLimit(s) as AmountLimit;

describe('a write that happened at Stripe is never reported as a failure', () => {
  it('the audit store throws synchronously (database is locked): the result says what happened, and the record is stored on a retry', async () => {
    const stored: AuditRecord[] = [];
    let failures = 1;
    const audit: AuditLog = {
      append(record) {
        // As better-sqlite3 does: a synchronous throw, not a rejected promise.
        if (failures-- > 0) throw new Error('database is locked');
        stored.push(record);
        return Promise.resolve();
      },
      query: () => Promise.resolve(stored),
    };
    const s = await startStack({ reuse: sandbox, runner: { audit } });
    try {
      const r = await s.call('create_customer', { email: 'locked@example.com' });
      expect(r.isError, r.text).toBe(false);
      expect(r.data.email).toBe('locked@example.com');
      expect(r.text).not.toContain('database is locked');
      await vi.waitFor(() => expect(stored.map((x) => x.tool)).toEqual(['create_customer']), {
        timeout: 20_000,
        interval: 100,
      });
      expect(s.logs.join('\n')).toContain('audit append failed; will retry');
    } finally {
      await s.close();
    }
  });

  it('the ledger fails after the charge: the payment is reported as done', async () => {
    const store = createMemoryStore();
    const ledger: MoneyLedger = {
      reserve: (r) => store.ledger.reserve(r),
      release: (id) => store.ledger.release(id),
      used: (...a) => store.ledger.used(...a),
      totals: (...a) => store.ledger.totals(...a),
      usage: (...a) => store.ledger.usage(...a),
      settle() {
        throw new Error('database or disk is full');
      },
    };
    const s = await startStack({
      reuse: sandbox,
      runner: { policy: { dailyLimit: { limit: limit('100000'), ledger } } },
    });
    try {
      const r = await s.call('create_payment_intent', {
        amount: 1500,
        payment_method: 'pm_card_visa',
        confirm: true,
      });
      expect(r.isError, r.text).toBe(false);
      expect(r.data.status).toBe('succeeded');
      // The reservation kept counting (the safe side).
      expect(await store.ledger.used('sandbox:platform', 'usd', Date.now(), 86_400_000)).toBe(1500);
    } finally {
      await s.close();
    }
  });

  it("Stripe's response lacks fields the result shape expects: what is known is returned, saying the write happened", async () => {
    const thin = defineTool({
      name: 'create_thin_customer',
      title: 'Create customer (thin response)',
      description: 'Creates a customer; its result shape expects fields Stripe may leave out.',
      toolset: 'customers',
      access: { moneyMoving: false },
      annotations: CREATE,
      input: { email: z.string() },
      output: z.object({
        id: z.string(),
        email: z.string().nullable(),
        description: z.string().nullable(),
        balance_due: z.number(),
      }),
      async handler({ email }, ctx) {
        const c = await ctx.stripe.customers.create({ email }, ctx.request);
        return { id: c.id, email: c.email } as never;
      },
    });
    const s = await startStack({ reuse: sandbox, tools: [thin] });
    try {
      const r = await s.call('create_thin_customer', { email: 'thin@example.com' });
      expect(r.isError, r.text).toBe(false);
      expect(r.text).toContain('The call was done at Stripe.');
      expect(r.text).toContain('balance_due');
      expect(r.result.structuredContent).toMatchObject({ email: 'thin@example.com', description: null });
      expect(s.logs.join('\n')).not.toMatch(/internal error/);
    } finally {
      await s.close();
    }
  });
});

describe('the advertised surface', () => {
  it('output schemas keep properties named "required", and the lists are not advertised as changing', async () => {
    const s = await startStack({ reuse: sandbox, tools: ALL_TOOLS });
    try {
      const details = (await s.client.listTools()).tools.find((t) => t.name === 'stripe_api_details')!;
      const params = (details.outputSchema!.properties as Record<string, any>).params;
      expect(Object.keys(params.items.properties)).toContain('required');
      const caps = s.client.getServerCapabilities()!;
      expect(caps.tools?.listChanged).toBe(false);
      expect(caps.resources?.listChanged).toBe(false);
      expect(caps.prompts?.listChanged).toBe(false);
    } finally {
      await s.close();
    }
  });
});
