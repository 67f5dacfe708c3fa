// Charging for tools in tests: the sandbox, plans synced to it, a server with those plans whose
// webhooks the sandbox signs and delivers, paying users' agents (api keys), and a person's browser
// steps through the hosted Checkout and Portal pages.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type Stripe from 'stripe';
import { expect } from 'vitest';
import { issueApiKey } from '../src/auth/api-keys.js';
import { Plans } from '../src/billing/plans.js';
import { syncPlans } from '../src/billing/sync.js';
import { loadPlansFile } from '../src/config/plans.js';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import { callTool, sandboxStripe, startHttpStack, TEST_KEY, type HttpStack } from './helpers.js';

export interface BillingWorld {
  sandbox: RunningSandbox;
  stack: HttpStack;
  /** The real SDK on the sandbox (the operator's view of "Stripe"). */
  stripe: Stripe;
  plansPath: string;
  /** A paying user's agent: an MCP client with its own api key (billing keys on `key:<name>`). */
  agentFor(name: string): Promise<Client>;
  close(): Promise<void>;
}

export async function startBillingWorld(
  plans: unknown,
  flags: Record<string, string> = {},
): Promise<BillingWorld> {
  const sandbox = await startSandbox();
  const plansPath = join(mkdtempSync(join(tmpdir(), 'mcp-stripe-billing-')), 'plans.json');
  writeFileSync(plansPath, JSON.stringify(plans));
  const stripe = await sandboxStripe(sandbox);
  const loaded = loadPlansFile(plansPath);
  if ('problems' in loaded) throw new Error(loaded.problems.join('\n'));
  await syncPlans(stripe, new Plans(loaded.plans), { dryRun: false });
  const stack = await startHttpStack({
    flags: { apiKey: TEST_KEY, plans: plansPath, auth: 'api-key', tools: 'all', rateLimit: '0', ...flags },
    env: { STRIPE_API_BASE: sandbox.url },
  });
  // The sandbox delivers its events to this server, signed, as Stripe does.
  const endpoint = await stripe.webhookEndpoints.create({
    url: `${stack.origin}/webhooks/stripe`,
    enabled_events: ['*'],
  });
  stack.runtime.webhooks.secrets.push(endpoint.secret!);
  const clients: Client[] = [];
  return {
    sandbox,
    stack,
    stripe,
    plansPath,
    async agentFor(name) {
      const issued = await issueApiKey(
        stack.runtime.apiKeys,
        { name, scopes: ['stripe:read', 'stripe:write'] },
        Date.now(),
      );
      if ('error' in issued) throw new Error(issued.error);
      const client = new Client({ name, version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(stack.http.url), {
          requestInit: { headers: { authorization: `Bearer ${issued.key}` } },
        }),
      );
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await stack.close();
      await sandbox.close();
    },
  };
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  redirect: 'manual' as const,
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

/** Follows an upgrade link as a browser would, through the hosted Checkout, paying with `card`. */
export async function payThrough(
  sandbox: RunningSandbox,
  link: string,
  card: 'visa' | 'declined' | 'declines-later' = 'visa',
) {
  const toCheckout = await fetch(link, { redirect: 'manual' });
  expect(toCheckout.status).toBe(303);
  const checkout = toCheckout.headers.get('location')!;
  expect(checkout.startsWith(`${sandbox.url}/checkout/pay/cs_`)).toBe(true);
  const page = await (await fetch(checkout)).text();
  expect(page).toContain('Pay');
  const paid = await fetch(checkout, form({ card, email: 'buyer@example.com' }));
  return { checkout, status: paid.status, location: paid.headers.get('location'), body: await paid.text() };
}

/** Follows a portal link to the sandbox's hosted Portal: the page's URL and text. */
export async function openPortal(sandbox: RunningSandbox, link: string) {
  const toPortal = await fetch(link, { redirect: 'manual' });
  expect(toPortal.status).toBe(303);
  const url = toPortal.headers.get('location')!;
  expect(url.startsWith(`${sandbox.url}/p/session/bps_`)).toBe(true);
  return { url, text: await (await fetch(url)).text() };
}

/** Presses a button on the Portal page; the page it leads to. */
export async function portalAction(portal: string, fields: Record<string, string>) {
  const res = await fetch(portal, form(fields));
  const next = res.headers.get('location');
  const text = next ? await (await fetch(new URL(next, portal))).text() : await res.text();
  return { status: res.status, location: next, text };
}

/** Until `billing_status` satisfies `ok` (no deadline of its own: the test's timeout is the limit). */
export async function untilStatus(
  agent: Client,
  ok: (status: Record<string, any>) => boolean,
): Promise<Record<string, any>> {
  for (;;) {
    const s = await callTool(agent, 'billing_status');
    if (ok(s.data)) return s.data;
    await new Promise((r) => setTimeout(r, 100));
  }
}
