// GET /metrics: what an operator scrapes, after real traffic through a real client (tool calls that
// succeed, are refused, and fail at Stripe; webhooks stored, repeated and forged), and who may read it.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../src/auth/api-keys.js';
import { callTool, startHttpStack, type HttpStack } from './helpers.js';

/** The value of one sample (`name{labels} value`), or undefined when the exposition has none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('/metrics on a loopback server without authentication', () => {
  let stack: HttpStack;
  let client: Client;
  beforeAll(async () => {
    stack = await startHttpStack({ flags: { sandbox: true, dailyLimit: 'usd:3000' }, env: {} });
    await stack.runtime.connectSandboxWebhooks(stack.origin);
    client = new Client({ name: 'metrics-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(stack.http.url)));
  });
  afterAll(async () => {
    await client.close();
    await stack.close();
  });

  it('counts calls by outcome, refusals by code, Stripe errors by type, webhooks by result, and the ledger', async () => {
    const paid = await callTool(client, 'create_payment_intent', {
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    expect(paid.isError, paid.text).toBe(false);
    // A different amount: the same arguments again would be the same call (one idempotency key).
    const over = await callTool(client, 'create_payment_intent', {
      amount: 1500,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    expect(over.isError, over.text).toBe(true);
    const missing = await callTool(client, 'stripe_api_read', { path: '/v1/customers/cus_doesnotexist' });
    expect(missing.isError, missing.text).toBe(true);

    // One event delivered twice (Stripe retrying), and one forged.
    const secret = stack.runtime.webhooks.secrets[0]!;
    const payload = JSON.stringify({
      id: 'evt_metrics_1',
      object: 'event',
      type: 'customer.created',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      data: { object: { id: 'cus_metrics_1', object: 'customer' } },
    });
    const deliver = (signature: string) =>
      fetch(`${stack.origin}/webhooks/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        body: payload,
      });
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret });
    expect((await deliver(header)).status).toBe(200);
    expect((await deliver(header)).status).toBe(200);
    expect((await deliver('t=1,v1=00')).status).toBe(400);

    const res = await fetch(`${stack.origin}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const calls = (outcome: string) =>
      sample(text, 'mcp_stripe_tool_calls_total', { tool: 'create_payment_intent', outcome });
    expect(calls('ok')).toBe(1);
    expect(calls('refused')).toBe(1);
    expect(sample(text, 'mcp_stripe_tool_calls_total', { tool: 'stripe_api_read', outcome: 'error' })).toBe(
      1,
    );
    expect(sample(text, 'mcp_stripe_refusals_total', { code: 'daily_limit_exceeded' })).toBe(1);
    expect(sample(text, 'mcp_stripe_stripe_errors_total', { type: 'invalid_request_error' })).toBe(1);
    expect(
      sample(text, 'mcp_stripe_tool_call_duration_seconds_count', { tool: 'create_payment_intent' }),
    ).toBe(2);
    // The sandbox's own deliveries (the payment intent's events) are stored too: at least ours.
    expect(sample(text, 'mcp_stripe_webhook_events_total', { result: 'stored' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'mcp_stripe_webhook_events_total', { result: 'duplicate' })).toBe(1);
    expect(sample(text, 'mcp_stripe_webhook_events_total', { result: 'rejected' })).toBe(1);
    expect(
      sample(text, 'mcp_stripe_ledger_used_minor_units', { scope: 'sandbox:platform', currency: 'usd' }),
    ).toBe(2000);
    expect(sample(text, 'mcp_stripe_outbox_backlog')).toBe(0);
    expect(sample(text, 'mcp_stripe_info', { mode: 'sandbox' })).toBe(1);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    // Never arguments or results: no amount a caller sent, no id Stripe made, no caller.
    expect(text).not.toContain(paid.data.id as string);
    expect(text).not.toContain('cus_doesnotexist');
  });
});

describe('/metrics on a server with authentication', () => {
  const token = `scrape-${'t'}oken-for-the-metrics-test`;
  let open: HttpStack;
  let closed: HttpStack;
  beforeAll(async () => {
    open = await startHttpStack({ flags: { sandbox: true, auth: 'api-key', metricsToken: token }, env: {} });
    closed = await startHttpStack({ flags: { sandbox: true, auth: 'api-key' }, env: {} });
  });
  afterAll(async () => {
    await open.close();
    await closed.close();
  });

  it('answers only the configured bearer token, and says how to set one when none is', async () => {
    const scrape = (stack: HttpStack, authorization?: string) =>
      fetch(`${stack.origin}/metrics`, { headers: authorization ? { authorization } : {} });
    const none = await scrape(open);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await scrape(open, 'Bearer wrong-token-000000000')).status).toBe(401);
    // An MCP api key is not a metrics token.
    const issued = await issueApiKey(
      open.runtime.apiKeys,
      { name: 'agent', scopes: ['stripe:read'] },
      Date.now(),
    );
    if ('error' in issued) throw new Error(issued.error);
    expect((await scrape(open, `Bearer ${issued.key}`)).status).toBe(401);
    const ok = await scrape(open, `Bearer ${token}`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('mcp_stripe_tool_calls_total');

    const unset = await scrape(closed, `Bearer ${token}`);
    expect(unset.status).toBe(403);
    expect(((await unset.json()) as { error: string }).error).toMatch(/--metrics-token/);
  });
});
