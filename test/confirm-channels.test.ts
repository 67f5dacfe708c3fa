import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import { CONSOLE_URL_KEY } from '../src/server/approvals.js';
import type { Store } from '../src/storage/ports.js';
import { callTool, startHttpStack, startStack } from './helpers.js';

/** `--confirm-channel`: who may confirm a call, per transport and per client. */
let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

const payment = (amount: number) => ({
  amount,
  currency: 'usd',
  payment_method: 'pm_card_visa',
  confirm: true,
});

const httpServer = (channel: string) =>
  startHttpStack({
    flags: { apiKey: 'sk_test_channels00001', confirm: 'money', confirmChannel: channel },
    env: { STRIPE_API_BASE: sandbox.url, MCP_STRIPE_APPROVAL_WAIT: '0' },
  });

async function connect(url: string, era: 'modern' | 'legacy', answer: boolean): Promise<Client> {
  const client = new Client(
    { name: `agent-${era}`, version: '1.0.0' },
    {
      capabilities: { elicitation: { form: {} } },
      versionNegotiation: { mode: era === 'modern' ? { pin: '2026-07-28' } : 'legacy' },
    },
  );
  client.setRequestHandler('elicitation/create', () => ({ action: 'accept', content: { approve: answer } }));
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

describe('--confirm-channel over HTTP', () => {
  it('both: a 2026-07-28 client that supports elicitation asks its user (multi-round-trip over HTTP)', async () => {
    const s = await httpServer('both');
    const client = await connect(s.http.url, 'modern', true);
    try {
      const r = await callTool(client, 'create_payment_intent', payment(1500));
      expect(r.isError, r.text).toBe(false);
      expect(r.data.status).toBe('succeeded');
      expect((await s.runtime.approvals.list('pending')).length).toBe(0);
    } finally {
      await client.close();
      await s.close();
    }
  });

  it('console (the default over HTTP): the same client is not asked, an operator is', async () => {
    const s = await httpServer('console');
    const client = await connect(s.http.url, 'modern', true);
    try {
      const r = await callTool(client, 'create_payment_intent', payment(1600));
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/^Waiting for approval/);
      expect((await s.runtime.approvals.list('pending')).map((a) => a.tool)).toEqual([
        'create_payment_intent',
      ]);
    } finally {
      await client.close();
      await s.close();
    }
  });

  it('elicitation only: a 2025-era client over HTTP cannot be asked, and the refusal says why', async () => {
    const s = await httpServer('elicitation');
    const client = await connect(s.http.url, 'legacy', true);
    try {
      const before = sandbox.state.platform.all('payment_intent').length;
      const r = await callTool(client, 'create_payment_intent', payment(1700));
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/a 2025-era client over HTTP cannot be asked/);
      expect(r.text).toContain('--confirm-channel=console');
      expect(sandbox.state.platform.all('payment_intent').length).toBe(before);
    } finally {
      await client.close();
      await s.close();
    }
  });
});

describe('URL-mode elicitation', () => {
  for (const era of ['auto', 'legacy'] as const) {
    it(`${era === 'auto' ? '2026-07-28' : '2025'}: the client is shown the console's page for the call; the operator's decision there counts`, async () => {
      let page: string | undefined;
      // The stack's store, once it exists: the operator decides there.
      const held: { store?: Store } = {};
      const s = await startStack({
        reuse: sandbox,
        era,
        approvalWaitMs: 30_000,
        runner: { policy: { confirm: 'money' } },
        clientCapabilities: { elicitation: { form: {}, url: {} } },
        onElicit: async (_message, params) => {
          expect(params.mode).toBe('url');
          page = params.url;
          // The user opens the page and the operator approves there (not this answer).
          const id = /\/approvals\/(apr_[\w-]+)$/.exec(page ?? '')?.[1];
          await held.store!.approvals.decide(id!, { decision: 'approved', by: 'operator', now: Date.now() });
          return { action: 'accept' };
        },
      });
      held.store = s.store;
      try {
        await s.store.operators.setValue(CONSOLE_URL_KEY, 'http://127.0.0.1:3100/console');
        const r = await s.call('create_payment_intent', payment(1800));
        expect(r.isError, r.text).toBe(false);
        expect(r.data.status).toBe('succeeded');
        expect(page).toMatch(/^http:\/\/127\.0\.0\.1:3100\/console\/approvals\/apr_/);
      } finally {
        await s.close();
      }
    });
  }

  it('accepting the URL without a decision there approves nothing', async () => {
    const s = await startStack({
      reuse: sandbox,
      approvalWaitMs: 0,
      runner: { policy: { confirm: 'money' } },
      clientCapabilities: { elicitation: { url: {} } },
      onElicit: () => ({ action: 'accept' }),
    });
    try {
      await s.store.operators.setValue(CONSOLE_URL_KEY, 'http://127.0.0.1:3100/console');
      const before = sandbox.state.platform.all('payment_intent').length;
      const r = await s.call('create_payment_intent', payment(1900));
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/^Waiting for approval/);
      expect(sandbox.state.platform.all('payment_intent').length).toBe(before);
    } finally {
      await s.close();
    }
  });
});
