// Tenants: one deployment, several Stripe accounts. Each caller resolves to its tenants; a tenant picks
// the Stripe account, the policy (inside the server's own), and the scope of daily limits and audit.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../src/auth/api-keys.js';
import { announceConsole } from '../src/cli/console.js';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import { signIn } from './console-helpers.js';
import { callTool, startHttpStack, TEST_KEY, type HttpStack, sandboxStripe } from './helpers.js';
import { startTestIdp, type TestIdp } from './idp.js';

let sandbox: RunningSandbox;
let idp: TestIdp;
let stack: HttpStack;
let acme: string;
let globex: string;

beforeAll(async () => {
  sandbox = await startSandbox();
  idp = await startTestIdp();
  const platform = await sandboxStripe(sandbox);
  acme = (await platform.accounts.create({ type: 'express', email: 'ops@acme.example' })).id;
  globex = (await platform.accounts.create({ type: 'express', email: 'ops@globex.example' })).id;
  const config = join(mkdtempSync(join(tmpdir(), 'mcp-stripe-tenants-')), 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      tenants: [
        {
          id: 'acme',
          stripe: { account: acme },
          policy: { dailyLimit: 'usd:5000' },
          members: { emailDomains: ['acme.example'], apiKeys: ['acme-bot'] },
        },
        {
          id: 'globex',
          stripe: { account: globex },
          policy: { readOnly: true },
          members: { emails: ['hank@globex.example'], groups: ['finance'] },
        },
      ],
    }),
  );
  stack = await startHttpStack({
    flags: {
      apiKey: TEST_KEY,
      config,
      auth: 'oauth,api-key',
      oauthIssuer: idp.issuer,
      tools: 'customers.*,payment_intents.*,refunds.*',
      dailyLimit: 'usd:8000',
    },
    env: { STRIPE_API_BASE: sandbox.url },
  });
});
afterAll(async () => {
  await stack?.close();
  await idp?.close();
  await sandbox?.close();
});

const ALL = 'stripe:read stripe:write stripe:money';
async function as(claims: Record<string, unknown>): Promise<Client> {
  const token = await idp.token({ aud: stack.http.url, scope: ALL, ...claims });
  const client = new Client({ name: 'tenant-test', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(stack.http.url), {
      authProvider: { token: () => Promise.resolve(token) },
    }),
  );
  return client;
}

describe('tenants', () => {
  it("a caller acts on its tenant's account only: A's caller never sees B's customers", async () => {
    const ana = await as({ sub: 'ana', email: 'ana@acme.example' });
    const hank = await as({ sub: 'hank', email: 'hank@globex.example' });
    const made = await callTool(ana, 'create_customer', { email: 'buyer@acme.example' });
    expect(made.data.id).toMatch(/^cus_/);
    const ours = await callTool(ana, 'list_customers', {});
    expect(ours.data.data.map((c: { id: string }) => c.id)).toContain(made.data.id);
    const theirs = await callTool(hank, 'list_customers', {});
    expect(theirs.data.data.map((c: { id: string }) => c.id)).not.toContain(made.data.id);
    const direct = await callTool(hank, 'retrieve_customer', { customer: made.data.id });
    expect(direct.isError).toBe(true);
    // The request went to acme's connected account on the platform key.
    expect(sandbox.state.accounts.get(acme)!.find('customer', made.data.id)).toBeDefined();
    await ana.close();
    await hank.close();
  });

  it("a tenant's policy narrows the server's: globex is read-only", async () => {
    const hank = await as({ sub: 'hank', email: 'hank@globex.example' });
    const names = (await hank.listTools()).tools.map((t) => t.name);
    expect(names).toContain('list_customers');
    expect(names).not.toContain('create_customer');
    await hank.close();
  });

  it('audit and daily limits are separate per tenant', async () => {
    const bot = await issueApiKey(
      stack.runtime.apiKeys,
      { name: 'acme-bot', scopes: ALL.split(' ') },
      Date.now(),
    );
    if ('error' in bot) throw new Error(bot.error);
    const client = new Client({ name: 'bot', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(stack.http.url), {
        authProvider: { token: () => Promise.resolve(bot.key) },
      }),
    );
    const pay = (amount: number) =>
      callTool(client, 'create_payment_intent', {
        amount,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
      });
    expect((await pay(3000)).isError).toBeFalsy();
    // acme's own limit (5000) is lower than the server's (8000): the tenant's applies.
    const over = await pay(2500);
    expect(over.isError).toBe(true);
    expect(over.result._meta?.['mcp-stripe']).toMatchObject({ error: 'daily_limit_exceeded' });
    await client.close();
    const acmeAudit = await stack.runtime.store.audit.query({ tenant: 'acme' });
    expect(acmeAudit.map((r) => r.caller)).toContain('key:acme-bot');
    expect(
      (await stack.runtime.store.audit.query({ tenant: 'globex' })).some((r) => r.caller === 'key:acme-bot'),
    ).toBe(false);
    const totals = await stack.runtime.store.ledger.totals(`test:${acme}#acme`, Date.now(), 86_400_000);
    expect(totals.usd).toBe(3000);
    // The console's audit page filters by tenant.
    const op = await signIn(await announceConsole(stack.runtime.store, `${stack.origin}/console`));
    const acmePage = await (await op.get('/console/audit?tenant=acme')).text();
    expect(acmePage).toContain('key:acme-bot');
    expect(await (await op.get('/console/audit?tenant=globex')).text()).not.toContain('key:acme-bot');
  });

  it('a caller in several tenants picks one per call with an account argument that only it sees', async () => {
    const both = await as({ sub: 'ivy', email: 'ivy@acme.example', groups: ['finance'] });
    const tools = (await both.listTools()).tools;
    const list = tools.find((t) => t.name === 'list_customers')!;
    expect((list.inputSchema.properties as Record<string, { enum?: string[] }>).account?.enum).toEqual([
      'acme',
      'globex',
    ]);
    // Only tools every one of its tenants allows (globex is read-only).
    expect(tools.map((t) => t.name)).not.toContain('create_customer');
    const acmeList = await callTool(both, 'list_customers', { account: 'acme' });
    expect(acmeList.isError).toBeFalsy();
    const missing = await callTool(both, 'list_customers', {});
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/"account" must name the Stripe account to act on: one of acme, globex/);
    await both.close();
    const single = await as({ sub: 'ana', email: 'ana@acme.example' });
    const own = (await single.listTools()).tools.find((t) => t.name === 'list_customers')!;
    expect((own.inputSchema.properties as Record<string, unknown>).account).toBeUndefined();
    await single.close();
  });

  it('a caller in no tenant gets a 403 that says so; nothing runs', async () => {
    const token = await idp.token({
      aud: stack.http.url,
      scope: ALL,
      sub: 'zed',
      email: 'zed@elsewhere.example',
    });
    const res = await fetch(stack.http.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error_description: string }).error_description).toMatch(
      /belong to no tenant/,
    );
  });
});
