// A server others reach: bearer authentication (OAuth JWTs from an external issuer, server-issued api
// keys, the caller's own Stripe key), scopes intersecting the policy, caller identity in the audit log,
// and the refusals, each with its status, its WWW-Authenticate challenge and nothing run.
import { request } from 'node:http';
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { exportSPKI, importJWK, SignJWT, UnsecuredJWT, type KeyObject } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { issueApiKey } from '../src/auth/api-keys.js';
import { OAuthVerifier } from '../src/auth/oauth.js';
import { announceConsole } from '../src/cli/console.js';
import { signIn } from './console-helpers.js';
import { callTool, startHttpStack, type HttpStack } from './helpers.js';
import { startTestIdp, type TestIdp } from './idp.js';

let idp: TestIdp;
let stack: HttpStack;
let resource: string;

beforeAll(async () => {
  idp = await startTestIdp();
  stack = await startHttpStack({
    flags: {
      sandbox: true,
      auth: 'oauth,api-key,stripe-key',
      oauthIssuer: idp.issuer,
      tools: 'customers.*,refunds.*,account.*,api.*',
    },
    env: {},
  });
  resource = stack.http.url;
});
afterAll(async () => {
  await stack?.close();
  await idp?.close();
});

const sandboxWrites = () => stack.runtime.sandbox!.state.requestLog.filter((r) => r.method !== 'GET').length;

/** A raw MCP POST, to see the HTTP answer itself. */
async function post(headers: Record<string, string>, body: unknown = listTools, url = resource) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, challenge: res.headers.get('www-authenticate'), text: await res.text() };
}
const listTools = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };
const createCustomer = {
  jsonrpc: '2.0',
  id: 2,
  method: 'tools/call',
  params: { name: 'create_customer', arguments: { email: 'x@example.com' } },
};

async function connect(token: string): Promise<Client> {
  const client = new Client({ name: 'remote-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(resource), {
      authProvider: { token: () => Promise.resolve(token) },
    }),
  );
  return client;
}

describe('OAuth resource server (--auth=oauth)', () => {
  it('publishes RFC 9728 metadata naming the issuer, at the path-aware location and the root', async () => {
    const origin = new URL(resource).origin;
    for (const path of [
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]) {
      const res = await fetch(`${origin}${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        resource,
        authorization_servers: [idp.issuer],
        scopes_supported: ['stripe:read', 'stripe:write', 'stripe:money'],
        bearer_methods_supported: ['header'],
      });
    }
  });

  it('a token for this resource lists what its scopes allow, and a call runs as its subject', async () => {
    const reader = await connect(await idp.token({ aud: resource, scope: 'openid stripe:read', sub: 'ana' }));
    const names = (await reader.listTools()).tools.map((t) => t.name);
    expect(names).toContain('list_customers');
    expect(names).not.toContain('create_customer');
    expect(names).not.toContain('create_refund');
    await callTool(reader, 'list_customers', {});
    await reader.close();

    const writer = await connect(
      await idp.token({ aud: resource, scope: 'stripe:read stripe:write stripe:money', sub: 'ben' }),
    );
    const all = (await writer.listTools()).tools.map((t) => t.name);
    expect(all).toEqual(expect.arrayContaining(['create_customer', 'create_refund', 'list_customers']));
    const c = await callTool(writer, 'create_customer', { email: 'ben@example.com' });
    expect(c.data.id).toMatch(/^cus_/);
    await writer.close();

    const audit = await stack.runtime.store.audit.query({ tool: 'create_customer' });
    expect(audit.at(-1)?.caller).toBe(`oauth:${idp.issuer}#ben`);
    expect((await stack.runtime.store.audit.query({ tool: 'list_customers' })).at(-1)?.caller).toBe(
      `oauth:${idp.issuer}#ana`,
    );
  });

  it('a missing scope is a 403 insufficient_scope naming the scopes to ask for; the re-authorized token succeeds', async () => {
    const before = sandboxWrites();
    const readOnly = await idp.token({ aud: resource, scope: 'stripe:read' });
    const refused = await post({ authorization: `Bearer ${readOnly}` }, createCustomer);
    expect(refused.status).toBe(403);
    expect(refused.challenge).toMatch(/^Bearer /);
    expect(refused.challenge).toContain('error="insufficient_scope"');
    expect(refused.challenge).toContain('scope="stripe:read stripe:write"');
    expect(refused.challenge).toContain(
      `resource_metadata="${new URL(resource).origin}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(sandboxWrites()).toBe(before);

    const stepped = await idp.token({ aud: resource, scope: 'stripe:read stripe:write' });
    const ok = await post({ authorization: `Bearer ${stepped}` }, createCustomer);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('cus_');
    expect(sandboxWrites()).toBe(before + 1);
  });

  it('the generic write tool reaching a money-moving endpoint needs stripe:money (a per-call step-up)', async () => {
    const before = sandboxWrites();
    const token = await idp.token({ aud: resource, scope: 'stripe:read stripe:write' });
    const write = (path: string, params: Record<string, unknown>) =>
      post(
        { authorization: `Bearer ${token}` },
        {
          jsonrpc: '2.0',
          id: 3,
          method: 'tools/call',
          params: { name: 'stripe_api_write', arguments: { method: 'POST', path, params } },
        },
      );
    const refund = await write('/v1/refunds', { payment_intent: 'pi_123' });
    expect(refund.status).toBe(403);
    expect(refund.challenge).toContain('scope="stripe:read stripe:write stripe:money"');
    expect(sandboxWrites()).toBe(before);
    // The same tool, for a write that moves no money, runs.
    const customer = await write('/v1/customers', { email: 'generic@example.com' });
    expect(customer.status).toBe(200);
    expect(customer.text).toContain('cus_');
  });

  describe('refusals: status, challenge, nothing run, nothing sent to Stripe', () => {
    const metadata = () =>
      `resource_metadata="${new URL(resource).origin}/.well-known/oauth-protected-resource/mcp"`;
    const cases: [string, () => Record<string, string> | Promise<Record<string, string>>, RegExp][] = [
      ['no token', () => ({}), /Missing Authorization header/],
      ['a malformed header', () => ({ authorization: 'Basic dXNlcjpwYXNz' }), /Invalid Authorization header/],
      ['a malformed token', () => ({ authorization: 'Bearer not.a.jwt' }), /not a valid JWT/],
      [
        'an expired token',
        async () => ({
          authorization: `Bearer ${await idp.token({ aud: resource, exp: Math.floor(Date.now() / 1000) - 120 })}`,
        }),
        /expired/,
      ],
      [
        'a token not valid yet',
        async () => ({
          authorization: `Bearer ${await idp.token({ aud: resource, nbf: Math.floor(Date.now() / 1000) + 3600 })}`,
        }),
        /not valid yet/,
      ],
      [
        'a token from another issuer',
        async () => ({
          authorization: `Bearer ${await idp.token({ aud: resource, iss: 'https://evil.example.com' })}`,
        }),
        /another issuer/,
      ],
      [
        'a token minted for another resource',
        async () => ({
          authorization: `Bearer ${await idp.token({ aud: 'https://other.example.com/mcp' })}`,
        }),
        /not issued for this resource/,
      ],
      [
        'alg: none',
        () => ({
          authorization: `Bearer ${new UnsecuredJWT({ scope: 'stripe:read', aud: resource })
            .setIssuer(idp.issuer)
            .setSubject('mallory')
            .setExpirationTime('10m')
            .encode()}`,
        }),
        /algorithm|not a valid JWT/,
      ],
      [
        'HS256 "signed" with the public key',
        async () => {
          const pem = await exportSPKI(
            (await importJWK(idp.publicJwk, 'RS256', { extractable: true })) as KeyObject,
          );
          const forged = await new SignJWT({ scope: 'stripe:read stripe:write stripe:money' })
            .setProtectedHeader({ alg: 'HS256', kid: idp.publicJwk.kid })
            .setIssuer(idp.issuer)
            .setAudience(resource)
            .setSubject('mallory')
            .setExpirationTime('10m')
            .sign(new TextEncoder().encode(pem));
          return { authorization: `Bearer ${forged}` };
        },
        /algorithm/,
      ],
      [
        'a key the issuer never published (unknown kid)',
        async () => ({
          authorization: `Bearer ${await idp.token({ aud: resource }, { kid: 'not-published', key: await idp.strangerKey() })}`,
        }),
        /signing key is not among/,
      ],
      [
        'an unknown api key',
        () => ({ authorization: 'Bearer mcps_unknownunknownunknownunknownunknown' }),
        /Unknown api key/,
      ],
      [
        'a publishable Stripe key',
        () => ({ authorization: `Bearer pk_test_${'51HxAbCdEfGhIjKl'}` }),
        /publishable key/,
      ],
      [
        'a live Stripe key without --allow-live',
        () => ({ authorization: `Bearer sk_live_${'51HxAbCdEfGhIjKl'}` }),
        /live Stripe key/,
      ],
    ];

    it.each(cases)('%s → 401 with the challenge', async (_name, headers, why) => {
      const before = { writes: sandboxWrites(), audit: (await stack.runtime.store.audit.query({})).length };
      const res = await post(await headers(), createCustomer);
      expect(res.status).toBe(401);
      expect(res.challenge).toMatch(/^Bearer /);
      expect(res.challenge).toContain('error="invalid_token"');
      expect(res.challenge).toContain(metadata());
      expect(res.challenge).toContain('scope="stripe:read stripe:write stripe:money"');
      expect(JSON.parse(res.text).error_description).toMatch(why);
      // No secret is echoed back.
      expect(res.text).not.toContain('51HxAbCdEfGhIjKl');
      expect(sandboxWrites()).toBe(before.writes);
      expect((await stack.runtime.store.audit.query({})).length).toBe(before.audit);
    });

    it('a token in the query string is refused, even a valid one', async () => {
      const token = await idp.token({ aud: resource, scope: 'stripe:read' });
      const res = await post({}, listTools, `${resource}?access_token=${token}`);
      expect(res.status).toBe(401);
      expect(res.challenge).toContain('error="invalid_token"');
      expect(JSON.parse(res.text).error_description).toMatch(/in the URL are refused/);
    });
  });

  it("rotation: a token signed with the issuer's new key fetches the JWKS again and verifies", async () => {
    const own = await startTestIdp();
    try {
      const verifier = new OAuthVerifier({
        issuer: own.issuer,
        resource: new URL(resource),
        jwksCooldownSeconds: 0,
      });
      const first = await verifier.verify(await own.token({ aud: resource }));
      expect(first.caller.id).toBe(`oauth:${own.issuer}#user-1`);
      const fetched = own.jwksFetches();
      await verifier.verify(await own.token({ aud: resource, sub: 'user-2' }));
      expect(own.jwksFetches()).toBe(fetched); // cached
      await own.rotate();
      const rotated = await verifier.verify(await own.token({ aud: resource, sub: 'user-3' }));
      expect(rotated.caller.subject).toBe('user-3');
      expect(own.jwksFetches()).toBe(fetched + 1);
    } finally {
      await own.close();
    }
  });
});

describe('api keys (--auth=api-key)', () => {
  it('a key works until it is revoked or expires; its name is the caller; its scopes limit its tools', async () => {
    const store = stack.runtime.apiKeys;
    const issued = await issueApiKey(
      store,
      { name: 'deploy-bot', scopes: ['stripe:read', 'stripe:write'] },
      Date.now(),
    );
    if ('error' in issued) throw new Error(issued.error);
    expect(issued.key).toMatch(/^mcps_[A-Za-z0-9_-]{43}$/);
    // Only the hash is kept.
    expect(JSON.stringify(await store.list())).not.toContain(issued.key);

    const bot = await connect(issued.key);
    const names = (await bot.listTools()).tools.map((t) => t.name);
    expect(names).toContain('create_customer');
    expect(names).not.toContain('create_refund');
    const c = await callTool(bot, 'create_customer', { email: 'bot@example.com' });
    expect(c.data.id).toMatch(/^cus_/);
    await bot.close();
    expect((await stack.runtime.store.audit.query({ tool: 'create_customer' })).at(-1)?.caller).toBe(
      'key:deploy-bot',
    );

    await store.revoke('deploy-bot', Date.now());
    const revoked = await post({ authorization: `Bearer ${issued.key}` });
    expect(revoked.status).toBe(401);
    expect(JSON.parse(revoked.text).error_description).toMatch(/revoked/);

    const short = await issueApiKey(
      store,
      { name: 'short-lived', scopes: ['stripe:read'], expiresInMs: 1 },
      Date.now() - 10,
    );
    if ('error' in short) throw new Error(short.error);
    const expired = await post({ authorization: `Bearer ${short.key}` });
    expect(expired.status).toBe(401);
    expect(JSON.parse(expired.text).error_description).toMatch(/expired/);
  });

  it('a key without stripe:money calling a money tool it cannot see gets a 403 naming stripe:money', async () => {
    const issued = await issueApiKey(
      stack.runtime.apiKeys,
      { name: 'reader', scopes: ['stripe:read'] },
      Date.now(),
    );
    if ('error' in issued) throw new Error(issued.error);
    const res = await post(
      { authorization: `Bearer ${issued.key}` },
      {
        jsonrpc: '2.0',
        id: 9,
        method: 'tools/call',
        params: { name: 'create_refund', arguments: { payment_intent: 'pi_123' } },
      },
    );
    expect(res.status).toBe(403);
    expect(res.challenge).toContain('error="insufficient_scope"');
    expect(res.challenge).toContain('scope="stripe:read stripe:money"');
  });

  it('bad names and scopes are refused with what to change', async () => {
    const store = stack.runtime.apiKeys;
    expect(await issueApiKey(store, { name: 'has space', scopes: ['stripe:read'] }, 0)).toMatchObject({
      error: expect.stringMatching(/--name must be/),
    });
    expect(await issueApiKey(store, { name: 'ok', scopes: ['stripe:everything'] }, 0)).toMatchObject({
      error: expect.stringMatching(/--scopes must name one or more of stripe:read/),
    });
  });
});

describe("the caller's own Stripe key (--auth=stripe-key)", () => {
  it('a test key is checked once against Stripe and used for that caller; its identity is account + last four', async () => {
    const key = `sk_test_${'callerOwnKey1234'}`;
    const client = await connect(key);
    const acct = await callTool(client, 'get_stripe_account_info', {});
    expect(acct.data.id).toMatch(/^acct_/);
    await client.close();
    const audit = (await stack.runtime.store.audit.query({ tool: 'get_stripe_account_info' })).at(-1)!;
    expect(audit.caller).toBe(`stripe:${acct.data.id}/…1234`);
    expect(JSON.stringify(audit)).not.toContain(key);
    // The caller's key reached Stripe, not the server's own.
    expect(stack.runtime.sandbox!.state.requestLog.at(-1)).toMatchObject({
      path: '/v1/account',
      key: '1234',
    });
  });
});

/** A raw request with any Host header (fetch does not let a caller set it). */
function raw(
  url: string,
  opts: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: opts.method ?? 'POST', headers: { 'content-type': 'application/json', ...opts.headers } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(opts.method === 'OPTIONS' ? undefined : JSON.stringify(listTools));
  });
}

describe('serving beyond loopback: the public URL, allowed origins, a proxy', () => {
  let remote: HttpStack;
  beforeAll(async () => {
    remote = await startHttpStack({
      flags: {
        sandbox: true,
        auth: 'api-key',
        publicUrl: 'https://mcp.example.com',
        allowedOrigins: 'https://app.example.com',
        trustProxy: true,
      },
      env: {},
    });
  });
  afterAll(async () => remote?.close());
  const local = () => `http://127.0.0.1:${remote.http.port}/mcp`;

  it('the public URL names the resource; its host passes the Host check, another host does not', async () => {
    expect(remote.http.url).toBe('https://mcp.example.com/mcp');
    expect((await raw(local(), { headers: { host: 'mcp.example.com' } })).status).toBe(401);
    expect((await raw(local(), { headers: { host: 'evil.example.com' } })).status).toBe(403);
    // Behind the proxy, the host the client used arrives in X-Forwarded-Host.
    expect(
      (await raw(local(), { headers: { host: 'internal:3000', 'x-forwarded-host': 'mcp.example.com' } }))
        .status,
    ).toBe(401);
  });

  it('an allowed browser origin gets CORS (preflight and answer); another origin is refused', async () => {
    const preflight = await raw(local(), {
      method: 'OPTIONS',
      headers: {
        host: 'mcp.example.com',
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, mcp-protocol-version',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('authorization');
    const answer = await raw(local(), {
      headers: { host: 'mcp.example.com', origin: 'https://app.example.com' },
    });
    expect(answer.status).toBe(401);
    expect(answer.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(String(answer.headers['access-control-expose-headers'])).toContain('www-authenticate');
    const evil = await raw(local(), {
      headers: { host: 'mcp.example.com', origin: 'https://evil.example.com' },
    });
    expect(evil.status).toBe(403);
  });
});

describe('opaque tokens (RFC 7662 introspection) and the per-caller rate limit', () => {
  let s: HttpStack;
  let url: string;
  beforeAll(async () => {
    s = await startHttpStack({
      flags: {
        sandbox: true,
        auth: 'oauth,api-key',
        oauthIssuer: idp.issuer,
        oauthIntrospectionUrl: `${idp.issuer}/introspect`,
        rateLimit: '3',
      },
      env: { MCP_STRIPE_OAUTH_CLIENT_ID: 'mcp-stripe', MCP_STRIPE_OAUTH_CLIENT_SECRET: 's3cret' },
    });
    url = s.http.url;
  });
  afterAll(async () => s?.close());

  it('an active opaque token for this resource is accepted and its answer cached; an inactive one is a 401', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const token = idp.opaque({ sub: 'carla', scope: 'stripe:read', aud: url, exp, client_id: 'cli' });
    const before = idp.introspections();
    expect((await post({ authorization: `Bearer ${token}` }, listTools, url)).status).toBe(200);
    expect((await post({ authorization: `Bearer ${token}` }, listTools, url)).status).toBe(200);
    expect(idp.introspections()).toBe(before + 1);
    const other = idp.opaque({
      sub: 'carla',
      scope: 'stripe:read',
      aud: 'https://elsewhere.example/mcp',
      exp,
    });
    const wrongAudience = await post({ authorization: `Bearer ${other}` }, listTools, url);
    expect(wrongAudience.status).toBe(401);
    expect(JSON.parse(wrongAudience.text).error_description).toMatch(/not issued for this resource/);
    const unknown = await post({ authorization: 'Bearer 0123456789abcdef' }, listTools, url);
    expect(unknown.status).toBe(401);
    expect(JSON.parse(unknown.text).error_description).toMatch(/not active/);
  });

  it('past the limit a caller gets 429 with Retry-After; another caller is not held back', async () => {
    const a = await issueApiKey(s.runtime.apiKeys, { name: 'busy', scopes: ['stripe:read'] }, Date.now());
    const b = await issueApiKey(s.runtime.apiKeys, { name: 'calm', scopes: ['stripe:read'] }, Date.now());
    if ('error' in a || 'error' in b) throw new Error('issue failed');
    for (let i = 0; i < 3; i++)
      expect((await post({ authorization: `Bearer ${a.key}` }, listTools, url)).status).toBe(200);
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${a.key}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify(listTools),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await res.text()).toContain('3 a minute');
    expect((await post({ authorization: `Bearer ${b.key}` }, listTools, url)).status).toBe(200);
  });
});

describe('older clients: HTTP+SSE (2024-11-05) and WebSocket, behind the same authentication', () => {
  const origin = () => new URL(resource).origin;

  it('a v1-style SSE client works with a key and is refused without one', async () => {
    const issued = await issueApiKey(
      stack.runtime.apiKeys,
      { name: 'sse-bot', scopes: ['stripe:read', 'stripe:write'] },
      Date.now(),
    );
    if ('error' in issued) throw new Error(issued.error);
    const client = new Client({ name: 'sse', version: '1' }, { versionNegotiation: { mode: 'legacy' } });
    await client.connect(
      new SSEClientTransport(new URL(`${origin()}/sse`), {
        authProvider: { token: () => Promise.resolve(issued.key) },
      }),
    );
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('create_customer');
    const c = await callTool(client, 'create_customer', { email: 'sse@example.com' });
    expect(c.data.id).toMatch(/^cus_/);
    await client.close();
    expect((await stack.runtime.store.audit.query({ tool: 'create_customer' })).at(-1)?.caller).toBe(
      'key:sse-bot',
    );

    const anonymous = await fetch(`${origin()}/sse`, { headers: { accept: 'text/event-stream' } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const stray = await fetch(`${origin()}/messages?sessionId=nope`, {
      method: 'POST',
      headers: { authorization: `Bearer ${issued.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(listTools),
    });
    expect(stray.status).toBe(404);
  });

  it('JSON-RPC over WebSocket at /ws works with a token on the upgrade and is refused without one', async () => {
    const token = await idp.token({ aud: resource, scope: 'stripe:read', sub: 'wendy' });
    const ws = new WebSocket(`${origin().replace('http', 'ws')}/ws`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const replies: Record<string, unknown>[] = [];
    const next = () =>
      new Promise<Record<string, unknown>>((resolve) => {
        const check = () => (replies.length ? resolve(replies.shift()!) : setTimeout(check, 5));
        check();
      });
    ws.on('message', (d: Buffer) => replies.push(JSON.parse(d.toString('utf8')) as Record<string, unknown>));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const send = (m: unknown) => ws.send(JSON.stringify(m));
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'ws', version: '1' } },
    });
    expect(((await next()).result as { serverInfo: { name: string } }).serverInfo.name).toBe('mcp-stripe');
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
    const tools = ((await next()).result as { tools: { name: string }[] }).tools.map((t) => t.name);
    expect(tools).toContain('list_customers');
    expect(tools).not.toContain('create_customer');
    send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'list_customers', arguments: {} } });
    expect(((await next()).result as { isError?: boolean }).isError).toBeFalsy();
    ws.close();
    expect((await stack.runtime.store.audit.query({ tool: 'list_customers' })).at(-1)?.caller).toBe(
      `oauth:${idp.issuer}#wendy`,
    );

    const refused = new WebSocket(`${origin().replace('http', 'ws')}/ws`);
    const status = await new Promise<number>((resolve) =>
      refused.once('unexpected-response', (_req, res) => resolve(res.statusCode!)),
    );
    expect(status).toBe(401);
  });
});

describe("the console's Access page", () => {
  it('lists, creates (shown once) and revokes api keys, and lists and removes OAuth clients', async () => {
    const s = await startHttpStack({ flags: { sandbox: true, auth: 'api-key,embedded' }, env: {} });
    try {
      const op = await signIn(await announceConsole(s.runtime.store, `${s.origin}/console`));
      expect(await (await op.get('/console/access')).text()).toContain('No api keys yet.');
      const created = await fetch(`${s.origin}/console/access/keys`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: op.cookie, origin: s.origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams([
          ['_csrf', op.csrf],
          ['name', 'console-bot'],
          ['scopes', 'stripe:read'],
          ['scopes', 'stripe:write'],
          ['expires', '30d'],
        ]).toString(),
      });
      const page = await created.text();
      const key = /<pre class="key">(mcps_[A-Za-z0-9_-]+)<\/pre>/.exec(page)?.[1];
      expect(key).toBeDefined();
      expect(page).toContain('stripe:read stripe:write');
      // Shown once: the list afterwards holds its prefix only.
      const listed = await (await op.get('/console/access')).text();
      expect(listed).not.toContain(key);
      expect(listed).toContain(`${key!.slice(0, 9)}&hellip;`);
      expect((await post({ authorization: `Bearer ${key}` }, listTools, s.http.url)).status).toBe(200);
      const id = /data-key="(key_[0-9a-f]+)"/.exec(listed)![1]!;
      expect((await op.post(`/console/access/keys/${id}/revoke`, {})).status).toBe(303);
      expect((await post({ authorization: `Bearer ${key}` }, listTools, s.http.url)).status).toBe(401);
      // A revoke without the page's CSRF token is refused.
      expect((await op.post(`/console/access/keys/${id}/revoke`, {}, { csrf: 'forged' })).status).toBe(403);

      // An OAuth client that registered shows up, and can be removed.
      const reg = await fetch(`${s.origin}/oauth/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_name: 'Some agent',
          redirect_uris: ['http://127.0.0.1:1/cb'],
          token_endpoint_auth_method: 'none',
        }),
      });
      const { client_id } = (await reg.json()) as { client_id: string };
      const withClient = await (await op.get('/console/access')).text();
      expect(withClient).toContain('Some agent');
      expect((await op.post(`/console/access/clients/${client_id}/revoke`, {})).status).toBe(303);
      expect(await (await op.get('/console/access')).text()).not.toContain('Some agent');
    } finally {
      await s.close();
    }
  });
});
