import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { classifyKey, maskKey } from './keys.js';
import { loadConfig, type Flags } from './load.js';

const KEY = 'sk_test_51HxAbCdEfGhIjKlMnOp';
/** Live-looking keys are assembled, so no tracked line looks like a real secret. */
const LIVE = (kind: 'sk' | 'rk') => `${kind}_live_${'51HxAbCd'}EfGhIjKl`;
const load = (flags: Flags = {}, env: Record<string, string> = {}, file?: unknown) =>
  loadConfig({
    flags: file === undefined ? flags : { config: 'cfg.json', ...flags },
    env,
    defaultApiVersion: '2026-10-28.endive',
    readFile: () => (typeof file === 'string' ? file : JSON.stringify(file)),
  });
const problems = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('classifyKey', () => {
  it.each([
    ['sk_test_51HxAbCdEfGhIjKl', { kind: 'secret', mode: 'test' }],
    ['rk_test_51HxAbCdEfGhIjKl', { kind: 'restricted', mode: 'test' }],
    [LIVE('sk'), { kind: 'secret', mode: 'live' }],
    [LIVE('rk'), { kind: 'restricted', mode: 'live' }],
  ])('%s', (key, expected) => expect(classifyKey(key)).toEqual(expected));

  it.each([
    ['pk_test_51HxAbCdEfGhIjKl', /publishable key/],
    ['pk_live_51HxAbCdEfGhIjKl', /publishable key/],
    ['whsec_abcdefghijklmnop', /webhook signing secret/],
    ['sk_test_', /not a Stripe secret or restricted key/],
    ['sk_prod_51HxAbCdEfGhIjKl', /not a Stripe secret or restricted key/],
    ['hunter2hunter2', /not a Stripe secret or restricted key/],
    ['', /an empty value/],
  ])('%j is refused', (key, why) => {
    const r = classifyKey(key);
    expect('error' in r && r.error).toMatch(why);
    if (key.length > 8) expect(JSON.stringify(r)).not.toContain(key);
  });

  it('maskKey keeps the prefix and last four only', () => {
    expect(maskKey(KEY)).toBe('sk_test_…MnOp');
  });
});

describe('loadConfig', () => {
  it('defaults', () => {
    expect(load({ apiKey: KEY })).toMatchObject({
      apiKey: KEY,
      keyMode: 'test',
      sandbox: false,
      apiVersion: '2026-10-28.endive',
      timeoutMs: 30000,
      maxNetworkRetries: 2,
      defaults: { idempotencyEnabled: true, currency: undefined, autoCapture: true },
      transport: 'stdio',
      host: '127.0.0.1',
      port: 3000,
    });
  });

  it('neither a key nor --sandbox names both options', () => {
    const msg = problems(() => load());
    expect(msg).toContain('--api-key');
    expect(msg).toContain('STRIPE_SECRET_KEY');
    expect(msg).toContain('--sandbox');
  });

  it('--sandbox needs no key', () => {
    expect(load({ sandbox: true })).toMatchObject({ sandbox: true, apiKey: '' });
  });

  it('flag beats env beats file', () => {
    const file = { api: { key: 'sk_test_fromfile12345', timeout: 1000 }, defaults: { currency: 'gbp' } };
    expect(load({}, {}, file)).toMatchObject({
      apiKey: 'sk_test_fromfile12345',
      timeoutMs: 1000,
      defaults: { currency: 'gbp' },
    });
    expect(
      load(
        {},
        {
          STRIPE_SECRET_KEY: 'sk_test_fromenv123456',
          STRIPE_REQUEST_TIMEOUT: '2000',
          STRIPE_CURRENCY: 'EUR',
        },
        file,
      ),
    ).toMatchObject({
      apiKey: 'sk_test_fromenv123456',
      timeoutMs: 2000,
      defaults: { currency: 'eur' },
    });
    expect(
      load({ apiKey: 'sk_test_fromflag12345' }, { STRIPE_SECRET_KEY: 'sk_test_fromenv123456' }, file).apiKey,
    ).toBe('sk_test_fromflag12345');
  });

  it('STRIPE_API_KEY is an alias of STRIPE_SECRET_KEY', () => {
    expect(load({}, { STRIPE_API_KEY: KEY }).apiKey).toBe(KEY);
  });

  it('reads every documented environment variable', () => {
    const c = load(
      {},
      {
        STRIPE_SECRET_KEY: KEY,
        STRIPE_API_VERSION: '2025-01-27.acacia',
        STRIPE_REQUEST_TIMEOUT: '5000',
        STRIPE_MAX_NETWORK_RETRIES: '0',
        STRIPE_CURRENCY: 'usd',
        STRIPE_IDEMPOTENCY_ENABLED: 'false',
        STRIPE_API_BASE: 'http://127.0.0.1:12111/',
        STRIPE_ACCOUNT: 'acct_123',
      },
    );
    expect(c).toMatchObject({
      apiVersion: '2025-01-27.acacia',
      timeoutMs: 5000,
      maxNetworkRetries: 0,
      defaults: { currency: 'usd', idempotencyEnabled: false },
      apiBase: 'http://127.0.0.1:12111',
      stripeAccount: 'acct_123',
    });
  });

  it.each([
    [{ apiKey: 'pk_test_51HxAbCdEfGhIjKl' }, {}, /publishable key/],
    [{ apiKey: KEY, transport: 'sse' }, {}, /--transport must be stdio or http/],
    [{ apiKey: KEY, transport: 'http', host: '0.0.0.0' }, {}, /not a loopback address/],
    [{ apiKey: KEY, port: '99999' }, {}, /--port must be a whole number from 0 to 65535/],
    [{ apiKey: KEY, stripeAccount: 'cus_123' }, {}, /--stripe-account must be a Connect account id/],
    [{ apiKey: KEY }, { STRIPE_REQUEST_TIMEOUT: 'soon' }, /STRIPE_REQUEST_TIMEOUT must be a whole number/],
    [
      { apiKey: KEY },
      { STRIPE_MAX_NETWORK_RETRIES: '-1' },
      /STRIPE_MAX_NETWORK_RETRIES must be a whole number/,
    ],
    [
      { apiKey: KEY },
      { STRIPE_IDEMPOTENCY_ENABLED: 'maybe' },
      /STRIPE_IDEMPOTENCY_ENABLED must be true or false/,
    ],
    [{ apiKey: KEY }, { STRIPE_API_BASE: 'not a url' }, /STRIPE_API_BASE must be an origin/],
    [{ apiKey: KEY }, { STRIPE_API_BASE: 'http://127.0.0.1:1/v1' }, /STRIPE_API_BASE must be an origin/],
    [{ apiKey: KEY }, { STRIPE_CURRENCY: 'dollars' }, /STRIPE_CURRENCY must be a three-letter/],
  ])('%j %j → clear error', (flags, env, why) => {
    expect(problems(() => load(flags as Flags, env as Record<string, string>))).toMatch(why);
  });

  it('reports every problem at once', () => {
    const msg = problems(() => load({ transport: 'x', port: 'y' }));
    expect(msg.split('\n')).toHaveLength(3);
  });

  it.each([
    [{ apiKey: KEY, transport: 'http', host: '0.0.0.0' }, /needs authentication\. Pass --auth=oauth/],
    [{ apiKey: KEY, transport: 'http', host: '0.0.0.0', auth: 'api-key' }, /pass --public-url=https/],
    [
      {
        apiKey: KEY,
        transport: 'http',
        host: '0.0.0.0',
        auth: 'api-key',
        publicUrl: 'http://mcp.example.com',
      },
      /must use https:\/\//,
    ],
    [{ apiKey: KEY, auth: 'api-key' }, /--auth applies to the HTTP transport/],
    [{ apiKey: KEY, transport: 'http', auth: 'oauth' }, /--auth=oauth needs --oauth-issuer/],
    [
      { apiKey: KEY, transport: 'http', auth: 'password' },
      /--auth accepts oauth, embedded, stripe-key, api-key/,
    ],
    [
      {
        apiKey: KEY,
        transport: 'http',
        auth: 'oauth',
        oauthIssuer: 'https://idp.example.com',
        oauthIntrospectionUrl: 'https://idp.example.com/i',
      },
      /needs MCP_STRIPE_OAUTH_CLIENT_ID and MCP_STRIPE_OAUTH_CLIENT_SECRET/,
    ],
    [{ transport: 'http', auth: 'stripe-key,api-key' }, /No Stripe API key/],
  ])('remote access: %j → clear error', (flags, why) => {
    expect(problems(() => load(flags as Flags))).toMatch(why);
  });

  it('a non-loopback bind starts with authentication and an https public URL', () => {
    const c = load({
      apiKey: KEY,
      transport: 'http',
      host: '0.0.0.0',
      auth: 'api-key,oauth',
      publicUrl: 'https://mcp.example.com/',
      oauthIssuer: 'https://idp.example.com',
    });
    expect(c.remote).toMatchObject({
      auth: ['api-key', 'oauth'],
      publicUrl: 'https://mcp.example.com',
      oauth: { issuer: 'https://idp.example.com' },
      rateLimitPerMinute: 300,
    });
  });

  it('tenants: their keys come from the environment; bad entries are named', () => {
    const tenants = (t: unknown[]) => ({ tenants: t });
    const member = { members: { emails: ['a@b.co'] } };
    const c = load(
      { apiKey: KEY, transport: 'http', auth: 'api-key' },
      { ACME_KEY: KEY },
      tenants([
        { id: 'acme', stripe: { apiKeyEnv: 'ACME_KEY' }, policy: { maxAmount: 'usd:500' }, ...member },
      ]),
    );
    expect(c.tenants[0]).toMatchObject({
      id: 'acme',
      stripe: { apiKey: KEY },
      policy: { maxAmount: { byCurrency: { usd: 500 } } },
    });
    expect(
      problems(() =>
        load(
          { apiKey: KEY, transport: 'http', auth: 'api-key' },
          {},
          tenants([{ id: 'acme', stripe: { apiKeyEnv: 'ACME_KEY' }, ...member }]),
        ),
      ),
    ).toMatch(/tenant "acme": the environment variable ACME_KEY \(stripe.apiKeyEnv\) is not set/);
    expect(
      problems(() =>
        load(
          { apiKey: KEY },
          {},
          tenants([{ id: 'a', stripe: { account: 'acct_1', apiKeyEnv: 'X' }, ...member }]),
        ),
      ),
    ).toMatch(/tenants\.0\.stripe: name exactly one of apiKey, apiKeyEnv/);
    expect(
      problems(() =>
        load({ apiKey: KEY }, {}, tenants([{ id: 'a', stripe: { account: 'acct_1' }, ...member }])),
      ),
    ).toMatch(/tenants need --auth/);
  });

  it('with only --auth=stripe-key the server needs no key of its own', () => {
    expect(load({ transport: 'http', auth: 'stripe-key' }).apiKey).toBe('');
  });

  it('HTTP on loopback hosts is allowed', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2']) {
      expect(load({ apiKey: KEY, transport: 'http', host }).host).toBe(host);
    }
  });

  it('live keys are refused without --allow-live; with it, money-moving calls need confirmation by default', () => {
    const live = `${LIVE('sk')}MnOp`;
    const msg = problems(() => load({ apiKey: live }));
    expect(msg).toMatch(/live key: it moves real money.*--allow-live.*MCP_STRIPE_ALLOW_LIVE=1/);
    expect(msg).not.toContain('AbCdEfGh');
    expect(load({ apiKey: live, allowLive: true }).security.confirm).toBe('money');
    expect(load({ apiKey: live }, { MCP_STRIPE_ALLOW_LIVE: '1' }).security.confirm).toBe('money');
    expect(load({ apiKey: live, allowLive: true, confirm: 'none' }).security.confirm).toBe('none');
    expect(load({ apiKey: `${LIVE('rk')}MnOp`, allowLive: true }).keyMode).toBe('live');
    expect(load({ apiKey: KEY }).security.confirm).toBe('none');
  });

  it('policy options from flags, env and file', () => {
    const c = load(
      {
        apiKey: KEY,
        deny: 'refunds.write',
        maxAmount: 'usd:5000',
        confirm: 'destructive',
        redact: 'email,phone',
        dataDir: '/tmp/x',
      },
      {
        STRIPE_READ_ONLY: '1',
        STRIPE_ALLOWED_OPERATIONS: 'payments,Customers',
        STRIPE_DAILY_LIMIT: '20000',
        STRIPE_CONFIRM_ABOVE: '1000',
        MCP_STRIPE_APPROVAL_TTL: '60',
      },
    );
    expect(c.security).toEqual({
      permissions: {
        allow: ['compact'],
        deny: ['refunds.write'],
        readOnly: true,
        operations: ['payments', 'customers'],
      },
      maxAmount: { byCurrency: { usd: 5000 } },
      dailyLimit: { default: 20000, byCurrency: {} },
      confirm: 'destructive',
      confirmAbove: { default: 1000, byCurrency: {} },
      allowLive: false,
      redact: ['email', 'phone'],
      approvalTtlMs: 60_000,
      confirmChannel: 'elicitation',
      approvalWaitMs: 30_000,
      notifyUrl: undefined,
    });
    expect(c.dataDir).toBe('/tmp/x');
    expect(load({ apiKey: KEY }, { STRIPE_VERIFICATION_REQUIRED: 'true' }).security.confirm).toBe('money');
  });

  it.each([
    [{ maxAmount: '$50' }, /--max-amount: "\$50" is not an amount/],
    [{ dailyLimit: 'usd:' }, /--daily-limit/],
    [{ confirm: 'sometimes' }, /--confirm must be none, destructive, money or all/],
    [{ redact: 'email,ssn' }, /--redact accepts email, phone, address, name \(got "ssn"\)/],
  ])('bad policy option %j', (flags, why) => {
    expect(problems(() => load({ apiKey: KEY, ...flags }))).toMatch(why);
  });

  it('config file: unknown keys are named', () => {
    expect(problems(() => load({}, {}, { api: { key: KEY, secret: 'x' }, extras: {} }))).toMatch(
      /unknown key "extras"/,
    );
    expect(problems(() => load({}, {}, { api: { key: KEY, secret: 'x' } }))).toMatch(
      /unknown key "api\.secret"/,
    );
  });

  it('config file: wrong types, bad JSON, missing file', () => {
    expect(problems(() => load({}, {}, { api: { timeout: 'fast' } }))).toMatch(
      /api\.timeout: Invalid input: expected number/,
    );
    expect(problems(() => load({}, {}, '{ nope'))).toMatch(/is not valid JSON/);
    expect(
      problems(() =>
        loadConfig({
          flags: { config: '/no/such.json' },
          env: {},
          defaultApiVersion: 'x',
          readFile: () => {
            throw Object.assign(new Error(), { code: 'ENOENT' });
          },
        }),
      ),
    ).toMatch(/Cannot read --config=\/no\/such\.json: no such file/);
  });

  it('config file: every section', () => {
    const c = load(
      {},
      {},
      {
        api: {
          key: KEY,
          version: 'v',
          timeout: 10,
          maxNetworkRetries: 1,
          base: 'http://127.0.0.1:9',
          stripeAccount: 'acct_9',
        },
        security: { tools: ['list_customers'] },
        defaults: { currency: 'usd', idempotencyEnabled: false },
        server: { transport: 'http', host: 'localhost', port: 4000, logLevel: 'debug' },
      },
    );
    expect(c).toMatchObject({
      apiVersion: 'v',
      maxNetworkRetries: 1,
      security: expect.objectContaining({
        permissions: { allow: ['list_customers'], deny: [], readOnly: false },
      }),
      defaults: { idempotencyEnabled: false },
      transport: 'http',
      port: 4000,
      logLevel: 'debug',
    });
  });

  it('no error message ever contains the key', () => {
    const secret = 'sk_test_' + 'Z'.repeat(300);
    expect(problems(() => load({ apiKey: secret }))).not.toContain('ZZZZ');
  });

  it('accepts the config shape published Stripe MCP guides document', () => {
    const c = load(
      {},
      {},
      {
        api: {
          key: KEY,
          webhookSecret: `whsec_${'guide0001'}`,
          version: '2026-10-28.endive',
          timeout: 20000,
        },
        security: { allowedOperations: ['payments'], maxAmount: 50000, verificationRequired: true },
        defaults: { currency: 'usd', idempotencyEnabled: true, autoCapture: false },
      },
    );
    expect(c.webhooks.secrets).toEqual([`whsec_${'guide0001'}`]);
    expect(c.security.confirm).toBe('money');
    expect(c.defaults.autoCapture).toBe(false);
    expect(c.timeoutMs).toBe(20000);
    expect(
      load({}, {}, { api: { key: KEY }, security: { verificationRequired: false } }).security.confirm,
    ).toBe('none');
  });

  it('an invalid file stops with its own errors only (no follow-on "No Stripe API key")', () => {
    const why = problems(() => load({}, {}, { api: { key: KEY, colour: 'red' } }));
    expect(why).toContain('unknown key "api.colour"');
    expect(why).not.toMatch(/API key/i);
  });
});
