// `mcp-stripe/billing`, as a third party uses it: a server on the official SDK (test/fixtures/paid-server.mjs)
// imports the built library by its package name, sells one tool with paidTool and the rest with wrap,
// and is driven by a real MCP client over HTTP (bearer tokens → the SDK's authInfo) and over stdio
// (one local user); Stripe is the sandbox, paid through its hosted Checkout page.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Plans } from '../src/billing/plans.js';
import { syncPlans } from '../src/billing/sync.js';
import { parsePlans } from '../src/config/plans.js';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import { payThrough, untilStatus } from './billing-helpers.js';
import { callTool, cleanEnv, sandboxStripe, TEST_KEY, type Called } from './helpers.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'paid-server.mjs');
const ROOT = join(import.meta.dirname, '..');
const PLANS = {
  product: 'Acme Search',
  plans: {
    free: { quotas: { calls_per_day: 2 } },
    pro: { price: { amount: 2900, currency: 'usd', interval: 'month' }, quotas: { calls_per_day: 100 } },
  },
  tools: { '*': { plans: ['free', 'pro'] } },
};

let sandbox: RunningSandbox;
let dir: string;
let plansPath: string;
const children: ChildProcess[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  sandbox = await startSandbox();
  dir = mkdtempSync(join(tmpdir(), 'mcp-stripe-library-'));
  plansPath = join(dir, 'plans.json');
  writeFileSync(plansPath, JSON.stringify(PLANS));
  const parsed = parsePlans(PLANS);
  if ('problems' in parsed) throw new Error(parsed.problems.join('\n'));
  await syncPlans(await sandboxStripe(sandbox), new Plans(parsed.plans), { dryRun: false });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  for (const c of children) c.kill('SIGKILL');
  await sandbox?.close();
});

const env = (extra: Record<string, string>) => ({
  ...cleanEnv(),
  PLANS: plansPath,
  STRIPE_SECRET_KEY: TEST_KEY,
  STRIPE_API_BASE: sandbox.url,
  ...extra,
});
const meta = (r: Called) => r.result.structuredContent as Record<string, unknown> | undefined;

/** The fixture over HTTP, its webhooks delivered by the sandbox; an agent per token. */
async function startHttpFixture() {
  const stripe = await sandboxStripe(sandbox);
  // The endpoint's secret first (the server reads it at start), its URL once the server listens.
  const endpoint = await stripe.webhookEndpoints.create({
    url: 'http://127.0.0.1:9/',
    enabled_events: ['*'],
  });
  const child = spawn(process.execPath, [FIXTURE, '--http'], {
    cwd: ROOT,
    env: env({
      BILLING_DB: join(dir, 'http.db'),
      STRIPE_WEBHOOK_SECRET: endpoint.secret!,
      TOKENS: 'alice-token=alice,bob-token=bob',
    }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const url = await new Promise<string>((resolve) =>
    child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())),
  );
  const origin = new URL(url).origin;
  await stripe.webhookEndpoints.update(endpoint.id, { url: `${origin}/webhooks/stripe` });
  const agent = async (token: string) => {
    const client = new Client({ name: token, version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    clients.push(client);
    return client;
  };
  return { origin, agent };
}

describe('mcp-stripe/billing in a server on the official SDK', () => {
  it('over HTTP: tools listed with their plans, quotas per token, a paywall, Checkout, then the paid tool runs', async () => {
    const { origin, agent } = await startHttpFixture();
    const alice = await agent('alice-token');
    const { tools } = await alice.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get('search')?.description).toBe('Searches the index.\n\nPlans: Free, Pro.');
    expect(byName.get('deep_research')?.description).toContain('Plans: Pro; each call uses 5 quota units.');
    expect([...byName.keys()]).toEqual(
      expect.arrayContaining(['billing_status', 'upgrade_plan', 'manage_billing']),
    );

    // A failed call gives its unit back; two successes use the free quota up.
    expect((await callTool(alice, 'flaky')).isError).toBe(true);
    for (let i = 0; i < 2; i++) expect((await callTool(alice, 'search', { q: 'x' })).isError).toBe(false);
    const over = await callTool(alice, 'search', { q: 'x' });
    expect(meta(over)).toMatchObject({ error: 'quota_exceeded', used: 2, limit: 2, upgrade_plan: 'pro' });
    // Another token is another user, with its own quota.
    const bob = await agent('bob-token');
    expect((await callTool(bob, 'search', { q: 'y' })).isError).toBe(false);
    expect((await callTool(bob, 'billing_status')).data).toMatchObject({ user: 'bob', plan: 'free' });

    const walled = await callTool(alice, 'deep_research', { topic: 'tides' });
    expect(meta(walled)).toMatchObject({
      error: 'payment_required',
      plan: 'pro',
      price: '29.00 USD per month',
    });
    const link = meta(walled)!.url as string;
    expect(link.startsWith(`${origin}/billing/upgrade/`)).toBe(true);
    const paid = await payThrough(sandbox, link);
    expect(paid.location).toMatch(new RegExp(`^${origin}/billing/success\\?session_id=cs_`));
    expect(await (await fetch(paid.location!)).text()).toContain('Your plan is active');

    expect(await untilStatus(alice, (s) => s.plan === 'pro')).toMatchObject({
      user: 'alice',
      status: 'active',
    });
    expect((await callTool(alice, 'deep_research', { topic: 'tides' })).text).toBe('report on tides');
    const status = (await callTool(alice, 'billing_status')).data;
    // One research run is 5 units; the day's two free calls count too (quotas are per user and day).
    expect(status.quotas).toEqual([expect.objectContaining({ quota: 'calls_per_day', used: 7, limit: 100 })]);
    // The customer was made with the user's id, and Checkout names the user.
    expect(sandbox.state.platform.all('customer').some((c) => c.metadata?.user_id === 'alice')).toBe(true);
  });

  it('over stdio: every call is the configured local user’s', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [FIXTURE],
      cwd: ROOT,
      env: env({
        BILLING_DB: join(dir, 'stdio.db'),
        LOCAL_USER: 'dana',
        PUBLIC_URL: 'http://127.0.0.1:8123',
      }),
      stderr: 'inherit',
    });
    const client = new Client({ name: 'stdio', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    expect((await callTool(client, 'billing_status')).data).toMatchObject({ user: 'dana', plan: 'free' });
    for (let i = 0; i < 2; i++) expect((await callTool(client, 'search', { q: 'z' })).isError).toBe(false);
    const over = await callTool(client, 'search', { q: 'z' });
    expect(meta(over)).toMatchObject({ error: 'quota_exceeded' });
    expect(over.text).toContain('http://127.0.0.1:8123/billing/upgrade/');
  });

  it('bad plans and unknown plan names are refused at start, naming the field', async () => {
    const run = (code: string) =>
      promisify(execFile)(process.execPath, ['--input-type=module', '-e', code], {
        cwd: ROOT,
        env: env({}),
      }).then(
        (r) => r.stdout,
        (e: { stdout: string }) => e.stdout,
      );
    const bad = await run(`
      import { createBilling } from 'mcp-stripe/billing';
      await createBilling({ plans: { product: 'x', plans: { pro: { price: { amount: -1, currency: 'usd', interval: 'month' } } }, tools: {} }, publicUrl: 'http://127.0.0.1:1', database: ':memory:' })
        .catch((e) => console.log(e.message));`);
    expect(bad).toContain(
      'createBilling({ plans }): plans.pro.price.amount: a price amount is in minor units',
    );
    const unknown = await run(`
      import { createBilling } from 'mcp-stripe/billing';
      import { McpServer } from '@modelcontextprotocol/server';
      const billing = await createBilling({ plans: JSON.parse(${JSON.stringify(JSON.stringify(PLANS))}), publicUrl: 'http://127.0.0.1:1', database: ':memory:', stripeSecretKey: '${TEST_KEY}', stripeApiBase: '${sandbox.url}' });
      try { billing.paidTool(new McpServer({ name: 'x', version: '1' }), 't', {}, { plans: ['gold'] }, () => ({ content: [] })); }
      catch (e) { console.log(e.message); }
      await billing.close();`);
    expect(unknown).toContain('t: "gold" is not a plan in the plans file (plans: free, pro).');
  });
});
