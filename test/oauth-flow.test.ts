// The whole OAuth flow from a real client: the v2 SDK client's OAuth support against --auth=embedded
// (oidc-provider in the server): 401 → protected-resource metadata → authorization-server metadata →
// dynamic client registration → authorization with PKCE (this test signs in and consents by submitting
// the pages as a browser would) → token → tools/list → a tool call → refresh (rotated).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExternalIdp } from './external-idp.js';
import { callTool, startHttpStack, type HttpStack } from './helpers.js';
import { Browser, formAction, TestOAuthClient } from './oauth-helpers.js';

let stack: HttpStack;
let password: string;

beforeAll(async () => {
  stack = await startHttpStack({ flags: { sandbox: true, auth: 'embedded', tools: 'customers.*' }, env: {} });
  password = /demo \/ (\S+)/.exec(stack.http.signInHint ?? '')![1]!;
});
afterAll(async () => stack?.close());

async function signIn(oauth: TestOAuthClient, opts: { password?: string; consent?: 'allow' | 'deny' } = {}) {
  const browser = new Browser();
  const origin = new URL(stack.http.url).origin;
  const login = await browser.follow(oauth.authorizationUrl!.href);
  expect(login.page).toContain('Sign in');
  expect(login.page).toContain('Flow test client');
  const afterLogin = await browser.follow(new URL(formAction(login.page!), origin).href, {
    method: 'POST',
    form: { username: 'demo', password: opts.password ?? password, action: 'login' },
  });
  if (afterLogin.left) return { left: afterLogin.left };
  if (afterLogin.status === 401) return { refusedLogin: afterLogin.page };
  expect(afterLogin.page).toContain('Allow access?');
  const consent = afterLogin.page;
  const done = await browser.follow(new URL(formAction(consent), origin).href, {
    method: 'POST',
    form: { action: opts.consent ?? 'allow' },
  });
  return { consent, left: done.left };
}

describe('the OAuth flow against the embedded authorization server', () => {
  it('a real client registers, signs in with PKCE, consents, calls tools, and refreshes with rotation', async () => {
    const oauth = new TestOAuthClient();
    const transport = new StreamableHTTPClientTransport(new URL(stack.http.url), { authProvider: oauth });
    const client = new Client({ name: 'oauth-flow', version: '1.0.0' });
    await expect(client.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);

    // The client found the server's metadata, registered itself and sent the user to authorize with PKCE.
    expect(oauth.info?.client_id).toBeTruthy();
    const auth = oauth.authorizationUrl!;
    expect(auth.origin + auth.pathname).toBe(`${new URL(stack.http.url).origin}/oauth/auth`);
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
    expect(auth.searchParams.get('resource')).toBe(stack.http.url);

    const { consent, left } = await signIn(oauth);
    // The consent page says in plain words what each scope allows.
    expect(consent!.replaceAll('&#39;', "'")).toContain(
      "<code>stripe:money</code>: move money (charges, refunds, payouts, invoices), within this server's limits",
    );
    expect(left!.origin + left!.pathname).toBe(oauth.redirectUrl);
    expect(left!.searchParams.get('code')).toBeTruthy();
    // The whole callback, so the client checks the issuer (RFC 9207) and the state.
    await transport.finishAuth(left!.searchParams);
    expect(oauth.saved?.access_token).toBeTruthy();
    expect(oauth.saved?.refresh_token).toBeTruthy();

    const signedIn = new Client({ name: 'oauth-flow', version: '1.0.0' });
    await signedIn.connect(
      new StreamableHTTPClientTransport(new URL(stack.http.url), { authProvider: oauth }),
    );
    const names = (await signedIn.listTools()).tools.map((t) => t.name);
    expect(names).toContain('create_customer');
    const c = await callTool(signedIn, 'create_customer', { email: 'demo@example.com' });
    expect(c.data.id).toMatch(/^cus_/);
    await signedIn.close();
    const audit = (await stack.runtime.store.audit.query({ tool: 'create_customer' })).at(-1)!;
    expect(audit.caller).toBe(`oauth:${new URL(stack.http.url).origin}/oauth#demo`);

    // Refresh: the access token is no longer good; the client refreshes once and goes on. The
    // refresh token is rotated: the old one no longer works.
    const old = oauth.saved!.refresh_token!;
    oauth.saved = { ...oauth.saved!, access_token: 'expired-or-revoked' };
    const refreshed = new Client({ name: 'oauth-flow', version: '1.0.0' });
    await refreshed.connect(
      new StreamableHTTPClientTransport(new URL(stack.http.url), { authProvider: oauth }),
    );
    expect((await refreshed.listTools()).tools.length).toBe(names.length);
    await refreshed.close();
    expect(oauth.saved.access_token).not.toBe('expired-or-revoked');
    expect(oauth.saved.refresh_token).toBeTruthy();
    expect(oauth.saved.refresh_token).not.toBe(old);
    const reuse = await fetch(`${new URL(stack.http.url).origin}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: old,
        client_id: oauth.info!.client_id,
      }),
    });
    expect(reuse.status).toBe(400);
    expect(await reuse.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('a wrong password is refused on the page; declining consent sends the client access_denied', async () => {
    const oauth = new TestOAuthClient();
    const client = new Client({ name: 'oauth-flow', version: '1.0.0' });
    await expect(
      client.connect(new StreamableHTTPClientTransport(new URL(stack.http.url), { authProvider: oauth })),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    const wrong = await signIn(oauth, { password: 'not-the-password' });
    expect(wrong.refusedLogin).toContain('do not match a user of this server');

    const declined = await signIn(oauth, { consent: 'deny' });
    expect(declined.left?.searchParams.get('error')).toBe('access_denied');
    expect(declined.left?.searchParams.get('code')).toBeNull();
  });

  it("the authorization server answers only under this server's own host (a forged Host cannot steer its URLs)", async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${new URL(stack.http.url).origin}/.well-known/oauth-authorization-server/oauth`,
        { headers: { host: 'evil.example.com' } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('publishes discovery at the RFC 8414 location, with S256 only, registration and resource indicators', async () => {
    const origin = new URL(stack.http.url).origin;
    const prm = (await (await fetch(`${origin}/.well-known/oauth-protected-resource/mcp`)).json()) as {
      authorization_servers: string[];
    };
    expect(prm.authorization_servers).toEqual([`${origin}/oauth`]);
    const meta = (await (
      await fetch(`${origin}/.well-known/oauth-authorization-server/oauth`)
    ).json()) as Record<string, unknown>;
    expect(meta).toMatchObject({
      issuer: `${origin}/oauth`,
      code_challenge_methods_supported: ['S256'],
      registration_endpoint: `${origin}/oauth/reg`,
      authorization_response_iss_parameter_supported: true,
    });
    expect(meta.scopes_supported).toEqual(
      expect.arrayContaining(['stripe:read', 'stripe:write', 'stripe:money']),
    );
  });
});

describe('the embedded authorization server across a restart', () => {
  it('keeps its clients, grants, refresh tokens and signing key in the data directory', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mcp-stripe-as-'));
    const flags = { sandbox: true, auth: 'embedded', tools: 'customers.*', dataDir } as const;
    const first = await startHttpStack({ flags, env: {} });
    const oauth = new TestOAuthClient();
    let port: number;
    try {
      port = first.http.port;
      const transport = new StreamableHTTPClientTransport(new URL(first.http.url), { authProvider: oauth });
      await expect(new Client({ name: 'r', version: '1' }).connect(transport)).rejects.toBeInstanceOf(
        UnauthorizedError,
      );
      const pw = /demo \/ (\S+)/.exec(first.http.signInHint!)![1]!;
      const browser = new Browser();
      const origin = new URL(first.http.url).origin;
      const login = await browser.follow(oauth.authorizationUrl!.href);
      const consent = await browser.follow(new URL(formAction(login.page!), origin).href, {
        method: 'POST',
        form: { username: 'demo', password: pw, action: 'login' },
      });
      const done = await browser.follow(new URL(formAction(consent.page!), origin).href, {
        method: 'POST',
        form: { action: 'allow' },
      });
      await transport.finishAuth(done.left!.searchParams);
    } finally {
      await first.close();
    }
    const second = await startHttpStack({ flags: { ...flags, port: String(port) }, env: {} });
    try {
      // The access token from before the restart still verifies (same key); then a refresh works.
      const c = new Client({ name: 'r', version: '1' });
      await c.connect(new StreamableHTTPClientTransport(new URL(second.http.url), { authProvider: oauth }));
      expect((await c.listTools()).tools.length).toBeGreaterThan(0);
      await c.close();
      const before = oauth.saved!.refresh_token;
      oauth.saved = { ...oauth.saved!, access_token: 'gone' };
      const d = new Client({ name: 'r', version: '1' });
      await d.connect(new StreamableHTTPClientTransport(new URL(second.http.url), { authProvider: oauth }));
      expect((await d.listTools()).tools.length).toBeGreaterThan(0);
      await d.close();
      expect(oauth.saved.refresh_token).not.toBe(before);
    } finally {
      await second.close();
    }
  });
});

describe('the same client against --auth=oauth with a separately started oidc-provider as the issuer', () => {
  it('discovers the external issuer from the metadata, signs in there, and calls tools as that subject', async () => {
    const idp = await startExternalIdp();
    const server = await startHttpStack({
      flags: { sandbox: true, auth: 'oauth', oauthIssuer: idp.issuer, tools: 'customers.*' },
      env: {},
    });
    try {
      const oauth = new TestOAuthClient();
      const transport = new StreamableHTTPClientTransport(new URL(server.http.url), { authProvider: oauth });
      await expect(new Client({ name: 'x', version: '1' }).connect(transport)).rejects.toBeInstanceOf(
        UnauthorizedError,
      );
      expect(oauth.authorizationUrl!.origin).toBe(idp.issuer);
      // The library's own development pages: any login, then "Continue" to consent.
      const browser = new Browser();
      const login = await browser.follow(oauth.authorizationUrl!.href);
      const devForm = (page: string) => /<form autocomplete="off" action="([^"]+)"/.exec(page)![1]!;
      const consent = await browser.follow(new URL(devForm(login.page!), idp.issuer).href, {
        method: 'POST',
        form: { prompt: 'login', login: 'erin', password: 'any' },
      });
      const done = await browser.follow(new URL(devForm(consent.page!), idp.issuer).href, {
        method: 'POST',
        form: { prompt: 'consent' },
      });
      expect(done.left!.origin + done.left!.pathname).toBe(oauth.redirectUrl);
      await transport.finishAuth(done.left!.searchParams);

      const client = new Client({ name: 'x', version: '1' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(server.http.url), { authProvider: oauth }),
      );
      const c = await callTool(client, 'create_customer', { email: 'erin@example.com' });
      expect(c.data.id).toMatch(/^cus_/);
      await client.close();
      const audit = (await server.runtime.store.audit.query({ tool: 'create_customer' })).at(-1)!;
      expect(audit.caller).toBe(`oauth:${idp.issuer}#erin`);
    } finally {
      await server.close();
      await idp.close();
    }
  });
});
