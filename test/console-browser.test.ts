import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceConsole } from '../src/cli/console.js';
import type { Runtime } from '../src/runtime.js';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import type { RunningHttp } from '../src/transports/http.js';
import { CHROMIUM } from './chromium.js';
import { callTool, startHttpStack, type HttpStack } from './helpers.js';

/**
 * The console in a real browser (Debian's chromium through playwright-core), with a real MCP client as
 * the agent. Screenshots of each page go to test-artifacts/console/.
 */
const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts', 'console');

let sandbox: RunningSandbox;
let stack: HttpStack;
let runtime: Runtime;
let http: RunningHttp;
let agent: Client;
let browser: Browser;
let page: Page;
let origin: string;

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
let n = 0;
const payment = (amount: number) => ({
  amount,
  currency: 'usd',
  payment_method: 'pm_card_visa',
  confirm: true,
  description: `browser order ${++n}`,
});

// A browser on 2 busy cores is slow: generous time per test (no test measures speed).
describe.skipIf(!CHROMIUM)('the console in a browser', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    sandbox = await startSandbox();
    stack = await startHttpStack({
      flags: { tools: 'all', apiKey: 'sk_test_consolebrowser1', confirm: 'money', dailyLimit: 'usd:500000' },
      // A call waits for the operator for as long as a test needs.
      env: { STRIPE_API_BASE: sandbox.url, MCP_STRIPE_APPROVAL_WAIT: '120' },
    });
    ({ runtime, http, origin } = stack);
    // The sandbox delivers its events here, as a Stripe webhook endpoint would.
    const stripe = await runtime.stripe();
    const endpoint = await stripe.webhookEndpoints.create({
      url: `${origin}/webhooks/stripe`,
      enabled_events: ['*'],
    });
    runtime.webhooks.secrets.push(endpoint.secret!);
    agent = new Client({ name: 'agent', version: '1.0.0' });
    await agent.connect(new StreamableHTTPClientTransport(new URL(http.url)));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    // One context: the operator's browser, with its cookie jar (an attacker's tab opens in it too).
    const context = await browser.newContext({
      acceptDownloads: true,
      viewport: { width: 1100, height: 800 },
    });
    page = await context.newPage();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await agent?.close();
    await stack?.close();
    await sandbox?.close();
  });

  it('signed out, nothing is shown; the one-time link signs in, once', async () => {
    await page.goto(`${origin}/console/approvals`);
    expect(await page.textContent('h1')).toBe('Signed out');
    expect(await page.content()).not.toContain('data-approval');
    await shot('signed-out');
    const link = await announceConsole(runtime.store, `${origin}/console`);
    await page.goto(link);
    expect(await page.textContent('h1')).toBe('Overview');
    // The same link again, in a fresh browser context: refused.
    const other = await browser.newPage();
    await other.goto(link);
    expect(await other.textContent('h1')).toBe('Signed out');
    await other.close();
  });

  it("an agent's call appears live on the Approvals page; approving completes the waiting call", async () => {
    await page.goto(`${origin}/console/approvals`);
    expect(await page.textContent('#pending')).toContain('Nothing is waiting');
    const call = callTool(agent, 'create_payment_intent', payment(4200));
    // No reload: the page learns of it over server-sent events.
    const item = page.locator('[data-approval]');
    await item.waitFor();
    expect(await item.textContent()).toContain('42.00 USD');
    await shot('approvals-pending');
    await item.locator('input[name="note"]').fill('known customer');
    await item.locator('button.approve').click();
    await page.waitForURL(`${origin}/console/approvals`);
    const done = await call;
    expect(done.isError, done.text).toBe(false);
    expect(done.data.status).toBe('succeeded');
    await page.reload();
    expect(await page.textContent('table')).toContain('known customer');
    await shot('approvals-decided');
  });

  it('deny: the waiting agent gets a declined result and nothing reaches Stripe', async () => {
    await page.goto(`${origin}/console/approvals`);
    const before = sandbox.state.platform.all('payment_intent').length;
    const call = callTool(agent, 'create_payment_intent', payment(6600));
    const item = page.locator('[data-approval]');
    await item.waitFor();
    await item.locator('button.deny').click();
    const declined = await call;
    expect(declined.isError).toBe(true);
    expect(declined.text).toMatch(/declined it \(via operator in the console\)/);
    expect(sandbox.state.platform.all('payment_intent').length).toBe(before);
  });

  it("a page on another origin cannot decide, even in the operator's signed-in browser", async () => {
    // The agent's own page on another loopback port (same site, another origin) posts the decision form.
    const call = callTool(agent, 'create_payment_intent', payment(7700));
    await page.goto(`${origin}/console/approvals`);
    const item = page.locator('[data-approval]');
    await item.waitFor();
    const id = await item.getAttribute('data-approval');
    const evil: Server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<form method="post" action="${origin}/console/approvals/${id}/decision"><input name="decision" value="approve"><button>go</button></form>`,
      );
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    try {
      const attacker = await page.context().newPage();
      await attacker.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      const [response] = await Promise.all([
        attacker.waitForResponse((r) => r.url().includes('/decision')),
        attacker.click('button'),
      ]);
      expect(response.status()).toBe(403);
      // Left open: closing a tab while its 403 page still loads can hang Chromium's close; the browser closes it.
      await attacker.waitForLoadState('load');
    } finally {
      evil.close();
    }
    // Still waiting: the attacker's post decided nothing. The operator denies it, from the console's own
    // form (its CSRF token, this origin), sent with the browser's cookies.
    const fragment = await (await page.request.get(`${origin}/console/approvals?fragment=pending`)).text();
    expect(fragment).toContain(`data-approval="${id}"`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(fragment)![1]!;
    const denied = await page.request.post(`${origin}/console/approvals/${id}/decision`, {
      form: { decision: 'deny', _csrf: csrf },
      headers: { origin },
      maxRedirects: 0,
    });
    expect(denied.status()).toBe(303);
    expect((await call).isError).toBe(true);
  });

  it('overview: health, money moved today against the limit, and charts', async () => {
    await page.goto(`${origin}/console`);
    await page.waitForSelector('body[data-charts="ready"]');
    const text = await page.textContent('main');
    expect(text).toContain('test');
    expect(text).toMatch(/Stripe\s*healthy/);
    expect(text).toContain('42.00 USD');
    expect(text).toContain('5,000.00 USD');
    expect(await page.locator('#chart-calls canvas').count()).toBe(1);
    await shot('overview');
  });

  it('audit: filter by tool and outcome, see the detail, export CSV and JSON lines', async () => {
    await callTool(agent, 'list_customers', {});
    await page.goto(`${origin}/console/audit`);
    await page.fill('input[name="tool"]', 'create_payment_intent');
    await page.selectOption('select[name="outcome"]', 'ok');
    await page.click('form.filters button[type="submit"]');
    const rows = page.locator('ul.audit > li');
    expect(await rows.count()).toBe(1);
    await rows.first().locator('summary').click();
    expect(await rows.first().textContent()).toContain('operator in the console');
    await shot('audit');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('text=Export CSV')]);
    const body = await (await csv.createReadStream()).toArray();
    const lines = Buffer.concat(body).toString().trim().split('\r\n');
    expect(lines[0]).toContain('tool');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('create_payment_intent');
    const [jsonl] = await Promise.all([page.waitForEvent('download'), page.click('text=Export JSON lines')]);
    const records = Buffer.concat(await (await jsonl.createReadStream()).toArray())
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { tool: string; outcome: string });
    expect(records.map((r) => `${r.tool}/${r.outcome}`)).toEqual(['create_payment_intent/ok']);
  });

  it('events, an object timeline, and the other pages', async () => {
    await page.goto(`${origin}/console/events?type=payment_intent.*`);
    const first = page.locator('table a').first();
    await first.waitFor();
    const objectId = await first.textContent();
    await first.click();
    expect(await page.textContent('h2')).toBe(`Timeline of ${objectId}`);
    expect(await page.textContent('table')).toContain('payment_intent.created');
    await shot('events');
    for (const [path, name, want] of [
      ['/console/settings', 'settings', '"confirmChannel": "console"'],
      ['/console/billing', 'billing', 'No plans are configured'],
      ['/console/access', 'access', 'No api keys'],
    ] as const) {
      await page.goto(`${origin}${path}`);
      expect(await page.textContent('main')).toContain(want);
      await shot(name);
    }
    expect(await page.content()).not.toContain('sk_test_consolebrowser1');
    // Narrow screens: the pages stay readable (no horizontal scroll on the overview).
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${origin}/console`);
    // A string runs in the page (this file is typed for Node, not the DOM).
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(1);
    await shot('overview-phone');
  });
});
