// Operators sign in to the console with OAuth: the console is a confidential client of the embedded
// authorization server (or of the external issuer), asking for `stripe:admin`. Only admin users get a
// session; no MCP client is ever granted `stripe:admin`; and the operator is the same caller the MCP edge
// sees, so nobody approves their own call, however they signed in.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { decodeJwt } from 'jose';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../src/auth/passwords.js';
import { CHROMIUM } from './chromium.js';
import { operatorBrowser, pendingIds } from './console-helpers.js';
import { startExternalIdp } from './external-idp.js';
import { callTool, startHttpStack, type HttpStack } from './helpers.js';
import { Browser, formAction, TestOAuthClient } from './oauth-helpers.js';

const PASSWORD = 'correct horse battery staple';
let stack: HttpStack;
let origin: string;

beforeAll(async () => {
  const config = join(mkdtempSync(join(tmpdir(), 'mcp-stripe-console-oauth-')), 'config.json');
  const hash = await hashPassword(PASSWORD);
  writeFileSync(
    config,
    JSON.stringify({
      users: [
        { username: 'olivia', passwordHash: hash, admin: true },
        { username: 'oscar', passwordHash: hash, admin: true },
        { username: 'nina', passwordHash: hash },
      ],
    }),
  );
  stack = await startHttpStack({
    flags: {
      sandbox: true,
      auth: 'embedded',
      config,
      tools: 'customers.*,payment_intents.*',
      confirm: 'money',
    },
    // A call needing approval answers at once that it waits.
    env: { MCP_STRIPE_APPROVAL_WAIT: '0' },
  });
  origin = stack.origin;
});
afterAll(async () => stack?.close());

interface SignedIn {
  browser: Browser;
  /** The consent page, when one was shown. */
  consent?: string;
  page?: string;
  status?: number;
  at?: string;
}

/** Signs in to the console through the authorization server's pages; where the browser ended up. */
async function consoleSignIn(username: string, at = origin): Promise<SignedIn> {
  const browser = new Browser();
  const login = await browser.follow(`${at}/console/oauth/start`);
  expect(login.page).toContain('mcp-stripe console');
  const next = await browser.follow(new URL(formAction(login.page!), at).href, {
    method: 'POST',
    form: { username, password: PASSWORD, action: 'login' },
  });
  if (!next.page?.includes('Allow access?')) return { browser, ...next };
  const done = await browser.follow(new URL(formAction(next.page), at).href, {
    method: 'POST',
    form: { action: 'allow' },
  });
  return { browser, consent: next.page, ...done };
}

const sessionOf = (browser: Browser) => {
  const value = browser.cookie('mcp_stripe_console');
  return value ? operatorBrowser(origin, `mcp_stripe_console=${value}`) : undefined;
};

describe('console sign-in with the embedded authorization server', () => {
  it('signed out, the console offers OAuth; an admin signs in, consents to stripe:admin, and is the operator', async () => {
    const out = await fetch(`${origin}/console`);
    expect(out.status).toBe(401);
    expect(await out.text()).toContain('href="/console/oauth/start"');

    const { browser, consent, page, status, at } = await consoleSignIn('olivia');
    expect(consent).toContain('<code>stripe:admin</code>: operate this server');
    expect(consent).not.toContain('stripe:money');
    expect(new URL(at!).pathname).toBe('/console/oauth/callback');
    expect(status).toBe(200);
    // A page that goes on to the console (so the SameSite=Strict session cookie is sent there).
    expect(page).toContain('<meta http-equiv="refresh" content="0; url=/console" />');
    // The flow's state and PKCE verifier are gone; the access token never reached the browser.
    expect(browser.cookie('mcp_stripe_console_oauth')).toBeUndefined();
    expect(page).not.toMatch(/eyJ[\w-]+\.eyJ/);

    const operator = (await sessionOf(browser))!;
    const overview = await operator.get('/console');
    expect(overview.status).toBe(200);
    expect(await overview.text()).toContain(`Sign out (oauth:${origin}/oauth#olivia)`);
  });

  it('a user who is not an admin is refused before any consent, and the console says why', async () => {
    const { browser, page, status, consent } = await consoleSignIn('nina');
    expect(consent).toBeUndefined();
    expect(status).toBe(403);
    expect(page).toContain('nina is not an admin of this server');
    expect(page).toContain('mcp-stripe users add --admin');
    expect(browser.cookie('mcp_stripe_console')).toBeUndefined();
  });

  it('an answer this browser did not ask for opens no session', async () => {
    const stray = await fetch(`${origin}/console/oauth/callback?code=abc&state=xyz`);
    expect(stray.status).toBe(400);
    expect(await stray.text()).toContain('was not started from this browser');

    // Started here, but the answer carries another state (a login CSRF attempt).
    const browser = new Browser();
    const started = await browser.request(`${origin}/console/oauth/start`);
    expect(started.status).toBe(303);
    const forged = await browser.follow(`${origin}/console/oauth/callback?code=abc&state=forged`);
    expect(forged.status).toBe(400);
    expect(forged.page).toContain('does not belong to the sign-in this browser started');
    expect(browser.cookie('mcp_stripe_console')).toBeUndefined();
  });

  it('an MCP client is never granted stripe:admin, even one registered for it that asks for it', async () => {
    // Registered for the policy's scopes (what the SDK client does): asking for more is refused.
    const refused = await authorize({ askAdmin: true });
    expect(refused.left!.origin + refused.left!.pathname).toBe(refused.oauth.redirectUrl);
    expect(refused.left!.searchParams.get('error')).toBe('invalid_scope');
    expect(refused.left!.searchParams.get('code')).toBeNull();

    // Registered for stripe:admin too, and asking for it: the consent and the token leave it out.
    const { token, consent } = await mcpSignIn('olivia', {
      registerScope: 'stripe:read stripe:write stripe:money stripe:admin offline_access',
      askAdmin: true,
    });
    expect(consent).not.toContain('stripe:admin');
    const scopes = String(decodeJwt(token).scope).split(' ');
    expect(scopes).toEqual(expect.arrayContaining(['stripe:read', 'stripe:money']));
    expect(scopes).not.toContain('stripe:admin');
  });

  it('an operator cannot approve their own MCP call; another operator can, and the call then runs', async () => {
    const { oauth } = await mcpSignIn('olivia');
    const agent = new Client({ name: 'olivia-agent', version: '1.0.0' });
    await agent.connect(new StreamableHTTPClientTransport(new URL(stack.http.url), { authProvider: oauth }));
    const olivia = (await sessionOf((await consoleSignIn('olivia')).browser))!;
    const args = { amount: 4200, currency: 'usd', payment_method: 'pm_card_visa', confirm: true };
    const before = await pendingIds(olivia);
    const waiting = await callTool(agent, 'create_payment_intent', args);
    expect(waiting.text).toMatch(/^Waiting for approval/);
    const [id] = (await pendingIds(olivia)).filter((x) => !before.includes(x));

    const own = await olivia.post(`/console/approvals/${id}/decision`, { decision: 'approve' });
    expect(own.status).toBe(403);
    expect(await own.text()).toContain('The caller of a call cannot decide it.');
    expect((await callTool(agent, 'create_payment_intent', args)).text).toMatch(/^Waiting for approval/);

    const oscar = (await sessionOf((await consoleSignIn('oscar')).browser))!;
    expect((await oscar.post(`/console/approvals/${id}/decision`, { decision: 'approve' })).status).toBe(303);
    const done = await callTool(agent, 'create_payment_intent', args);
    expect(done.isError, done.text).toBe(false);
    expect(done.data.status).toBe('succeeded');
    const decided = (await stack.runtime.approvals.get(id!))!;
    expect(decided.decidedBy).toBe(`oauth:${origin}/oauth#oscar`);
    await agent.close();
  });
});

// A browser on 2 busy cores is slow: generous time (no test measures speed).
describe.skipIf(!CHROMIUM)('console sign-in in a real browser', { timeout: 120_000 }, () => {
  it('the operator clicks "Sign in with", signs in, allows stripe:admin, and lands on the overview', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${origin}/console/approvals`);
      expect(await page.textContent('h1')).toBe('Signed out');
      await page.click('a.button');
      expect(await page.textContent('h1')).toBe('Sign in');
      await page.fill('input[name="username"]', 'oscar');
      await page.fill('input[name="password"]', PASSWORD);
      await page.click('button[value="login"]');
      expect(await page.textContent('h1')).toBe('Allow access?');
      await page.click('button[value="allow"]');
      // The callback's page goes on to the console by itself, with the new session cookie.
      await page.waitForURL(`${origin}/console`);
      expect(await page.textContent('h1')).toBe('Overview');
      expect(await page.textContent('form.signout')).toContain(`oauth:${origin}/oauth#oscar`);
    } finally {
      await browser.close();
    }
  });
});

/** An MCP client that registered and was sent to authorize (optionally asking for stripe:admin too). */
async function authorize(opts: { askAdmin?: boolean; registerScope?: string } = {}) {
  const oauth = new TestOAuthClient();
  // Registered here, for these scopes (the SDK client registers for the scopes the server offers).
  if (opts.registerScope) {
    const reg = await fetch(`${origin}/oauth/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...oauth.clientMetadata, scope: opts.registerScope }),
    });
    expect(reg.status).toBe(201);
    oauth.info = (await reg.json()) as typeof oauth.info;
  }
  const transport = new StreamableHTTPClientTransport(new URL(stack.http.url), { authProvider: oauth });
  await expect(new Client({ name: 'x', version: '1' }).connect(transport)).rejects.toBeInstanceOf(
    UnauthorizedError,
  );
  const url = oauth.authorizationUrl!;
  if (opts.askAdmin) url.searchParams.set('scope', `${url.searchParams.get('scope')} stripe:admin`);
  const browser = new Browser();
  return { oauth, transport, browser, ...(await browser.follow(url.href)) };
}

/** An MCP client's sign-in as `username`: its provider (with the tokens) and the consent page it saw. */
async function mcpSignIn(username: string, opts: Parameters<typeof authorize>[0] = {}) {
  const { oauth, transport, browser, page } = await authorize(opts);
  const consent = await browser.follow(new URL(formAction(page!), origin).href, {
    method: 'POST',
    form: { username, password: PASSWORD, action: 'login' },
  });
  const done = await browser.follow(new URL(formAction(consent.page!), origin).href, {
    method: 'POST',
    form: { action: 'allow' },
  });
  await transport.finishAuth(done.left!.searchParams);
  return { oauth, token: oauth.saved!.access_token, consent: consent.page };
}

describe('console sign-in with an external issuer (--auth=oauth)', () => {
  it('signs the operator in at the issuer with this server as a confidential client', async () => {
    const port = await freePort();
    const here = `http://127.0.0.1:${port}`;
    const idp = await startExternalIdp({
      console: {
        clientId: 'console',
        clientSecret: 's3cret-console',
        redirectUri: `${here}/console/oauth/callback`,
      },
    });
    const server = await startHttpStack({
      flags: { sandbox: true, auth: 'oauth', oauthIssuer: idp.issuer, port: String(port) },
      env: { MCP_STRIPE_OAUTH_CLIENT_ID: 'console', MCP_STRIPE_OAUTH_CLIENT_SECRET: 's3cret-console' },
    });
    try {
      const out = await (await fetch(`${here}/console`)).text();
      expect(out).toContain(`Sign in with ${idp.issuer}`);
      // The library's development pages at the issuer: any login, then "Continue" to consent.
      const browser = new Browser();
      const login = await browser.follow(`${here}/console/oauth/start`, {}, here);
      expect(login.left!.origin).toBe(idp.issuer);
      expect(login.left!.searchParams.get('scope')).toBe('stripe:admin');
      expect(login.left!.searchParams.get('resource')).toBe(`${here}/mcp`);
      const devForm = (page: string) => /<form autocomplete="off" action="([^"]+)"/.exec(page)![1]!;
      const atIdp = await browser.follow(login.left!.href);
      const consent = await browser.follow(new URL(devForm(atIdp.page!), idp.issuer).href, {
        method: 'POST',
        form: { prompt: 'login', login: 'erin', password: 'any' },
      });
      const back = await browser.follow(new URL(devForm(consent.page!), idp.issuer).href, {
        method: 'POST',
        form: { prompt: 'consent' },
      });
      const done = await browser.follow(back.left!.href);
      expect(done.status).toBe(200);
      const operator = await operatorBrowser(
        here,
        `mcp_stripe_console=${browser.cookie('mcp_stripe_console')!}`,
      );
      expect(await (await operator.get('/console')).text()).toContain(`Sign out (oauth:${idp.issuer}#erin)`);
    } finally {
      await server.close();
      await idp.close();
    }
  });
});

/** A port nothing listens on now (the issuer must know the console's redirect URI before it starts). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
