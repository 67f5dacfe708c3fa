import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import { PINNED_API_VERSION } from '../src/stripe/client.js';
import { startHttp, type RunningHttp } from '../src/transports/http.js';
import { callTool, type Called } from './helpers.js';

/**
 * The web approval flow, as a user meets it: a client without elicitation calls a money-moving
 * tool over HTTP, gets a one-time URL, a person approves or denies there, the agent repeats.
 */
let sandbox: RunningSandbox;
let runtime: Runtime;
let http: RunningHttp;
let client: Client;
let clock = Date.now();

beforeAll(async () => {
  sandbox = await startSandbox();
  const config = loadConfig({
    flags: {
      tools: 'all',
      apiKey: 'sk_test_approvalsflow01',
      transport: 'http',
      confirm: 'money',
      dataDir: mkdtempSync(join(tmpdir(), 'mcp-stripe-appr-')),
    },
    env: { STRIPE_API_BASE: sandbox.url, MCP_STRIPE_APPROVAL_TTL: '600' },
    defaultApiVersion: PINNED_API_VERSION,
  });
  runtime = await createRuntime(config, silentLogger, { now: () => clock });
  http = await startHttp({
    factory: runtime.factory,
    logger: silentLogger,
    mode: runtime.mode,
    host: '127.0.0.1',
    port: 0,
    approvals: runtime.approvals,
  });
  client = new Client({ name: 'no-elicitation', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(http.url)));
});
afterAll(async () => {
  await client.close();
  await http.close();
  await runtime.close();
  await sandbox.close();
});

const approvalUrl = (r: Called) =>
  (r.result._meta?.['mcp-stripe'] as { approval_url?: string }).approval_url!;
const intents = () => sandbox.state.platform.all('payment_intent').length;
const decide = (url: string, decision: string, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: `decision=${decision}`,
  });

function freshPayment(amount: number) {
  return {
    amount,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    confirm: true,
    description: `order ${amount}`,
  };
}

describe('web approval flow', () => {
  it('pending → approve on the page → the repeated call runs once; a further repeat needs a new approval', async () => {
    const args = freshPayment(1999);
    const before = intents();
    const first = await callTool(client, 'create_payment_intent', args);
    expect(first.isError).toBe(true);
    expect(first.text).toMatch(
      /^Not done yet: this call needs a person's approval because money-moving calls need confirmation/,
    );
    expect(first.text).toContain('Amount: 19.99 USD');
    const url = approvalUrl(first);
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${http.port}/approvals/[A-Za-z0-9_-]{24}$`));
    expect(first.text).toContain(url);
    expect(intents()).toBe(before);

    // Repeating before a decision returns the same link, not a new one.
    expect(approvalUrl(await callTool(client, 'create_payment_intent', args))).toBe(url);

    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const html = await page.text();
    expect(html).toContain('Amount: 19.99 USD');
    expect(html).toContain('value="approve"');

    const decided = await decide(url, 'approve');
    expect(await decided.text()).toContain('Approved.');

    const done = await callTool(client, 'create_payment_intent', args);
    expect(done.isError, done.text).toBe(false);
    expect(done.data.status).toBe('succeeded');
    expect(intents()).toBe(before + 1);

    // Single use: the same call again needs a new approval (and the old link says it was used).
    const again = await callTool(client, 'create_payment_intent', {
      ...args,
      idempotency_key: 'second-order',
    });
    expect(again.isError).toBe(true);
    expect(approvalUrl(again)).not.toBe(url);
    expect(await (await fetch(url)).text()).toContain('already used');
    await expect(decide(url, 'approve').then((r) => r.text())).resolves.toContain('already used');
  });

  it('deny → the repeated call is refused and nothing is sent', async () => {
    const args = freshPayment(2999);
    const url = approvalUrl(await callTool(client, 'create_payment_intent', args));
    await decide(url, 'deny');
    const before = intents();
    const refused = await callTool(client, 'create_payment_intent', args);
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(
      /^Not done: the person asked to confirm this call declined it \(via approval page/,
    );
    expect(intents()).toBe(before);
  });

  it('an approval is bound to the exact arguments: a different amount needs its own', async () => {
    const args = freshPayment(3999);
    const url = approvalUrl(await callTool(client, 'create_payment_intent', args));
    await decide(url, 'approve');
    const other = await callTool(client, 'create_payment_intent', { ...args, amount: 4999 });
    expect(other.isError).toBe(true);
    expect(approvalUrl(other)).not.toBe(url);
    // The original approval is still good for the original call.
    expect((await callTool(client, 'create_payment_intent', args)).isError).toBe(false);
  });

  it('expiry: an undecided link expires; the page says so and deciding is impossible', async () => {
    const args = freshPayment(5999);
    const url = approvalUrl(await callTool(client, 'create_payment_intent', args));
    clock += 601_000;
    expect(await (await fetch(url)).text()).toContain('expired');
    expect(await (await decide(url, 'approve')).text()).toContain('expired');
    const retry = await callTool(client, 'create_payment_intent', args);
    expect(approvalUrl(retry)).not.toBe(url);
  });

  it('an approved link that expires before the repeat is not honoured', async () => {
    const args = freshPayment(6999);
    const url = approvalUrl(await callTool(client, 'create_payment_intent', args));
    await decide(url, 'approve');
    clock += 601_000;
    const before = intents();
    const r = await callTool(client, 'create_payment_intent', args);
    expect(r.isError).toBe(true);
    expect(approvalUrl(r)).not.toBe(url);
    expect(intents()).toBe(before);
  });

  it('the page refuses foreign origins and unknown ids, and bad decisions', async () => {
    const url = approvalUrl(await callTool(client, 'create_payment_intent', freshPayment(7999)));
    expect((await decide(url, 'approve', { origin: 'https://evil.example.com' })).status).toBe(403);
    expect((await decide(url, 'maybe')).status).toBe(400);
    expect((await fetch(url.replace(/[^/]+$/, 'nope'))).status).toBe(404);
    const hostStatus = await new Promise<number>((resolve) => {
      const u = new URL(url);
      request(
        { host: u.hostname, port: u.port, path: u.pathname, headers: { host: 'evil.example.com' } },
        (res) => resolve(res.statusCode ?? 0),
      ).end();
    });
    expect(hostStatus).toBe(403);
    expect(await (await fetch(url)).text()).toContain('Waiting for your decision');
    // A decision is one short field: a large body is refused, not read.
    const big = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `decision=approve&pad=${'x'.repeat(1024 * 1024)}`,
    });
    expect(big.status).toBe(413);
    expect(await (await fetch(url)).text()).toContain('Waiting for your decision');
  });

  it('reads and non-money writes need no approval', async () => {
    expect((await callTool(client, 'list_customers')).isError).toBe(false);
    expect((await callTool(client, 'create_customer', { email: 'noapproval@example.com' })).isError).toBe(
      false,
    );
  });

  it('the audit log records who approved', async () => {
    const records = await runtime.store.audit.query({});
    const confirmed = records.filter((r) => r.decision === 'confirmed');
    expect(confirmed.length).toBeGreaterThanOrEqual(2);
    expect(confirmed[0]!.confirmedBy).toMatch(/^approval /);
    expect(records.some((r) => r.decision === 'approval_pending' && r.outcome === 'pending')).toBe(true);
    expect(records.some((r) => r.decision === 'declined')).toBe(true);
  });
});
