import { describe, expect, it } from 'vitest';
import {
  fileConfigSchema,
  flagsFrom,
  OPTIONS,
  parseArgsOptions,
  readOptions,
  type OptionKey,
  type Raw,
} from './options.js';
import { renderOptionsHelp, renderOptionsMarkdown } from './render.js';

/** A valid value for each option and what it parses to. Adding an option adds one line here. */
const SAMPLES: Record<OptionKey, { raw: Raw; fileRaw?: Raw; value: unknown }> = {
  apiKey: { raw: 'sk_test_51HxAbCdEfGhIjKlMnOp', value: 'sk_test_51HxAbCdEfGhIjKlMnOp' },
  sandbox: { raw: 'true', value: true },
  seed: { raw: 'none', value: 'none' },
  apiVersion: { raw: '2025-01-27.acacia', value: '2025-01-27.acacia' },
  timeoutMs: { raw: '1234', fileRaw: 1234, value: 1234 },
  callTimeoutMs: { raw: '4321', fileRaw: 4321, value: 4321 },
  maxNetworkRetries: { raw: '5', fileRaw: 5, value: 5 },
  apiBase: { raw: 'http://127.0.0.1:9/', value: 'http://127.0.0.1:9' },
  databaseUrl: { raw: 'postgres://u@127.0.0.1:5432/db', value: 'postgres://u@127.0.0.1:5432/db' },
  stripeAccount: { raw: 'acct_1A2b', value: 'acct_1A2b' },
  currency: { raw: 'EUR', value: 'eur' },
  idempotencyEnabled: { raw: 'false', fileRaw: false, value: false },
  autoCapture: { raw: 'no', fileRaw: false, value: false },
  tools: { raw: 'list_*,refunds.*', fileRaw: ['list_*', 'refunds.*'], value: ['list_*', 'refunds.*'] },
  deny: { raw: '*.money', value: ['*.money'] },
  readOnly: { raw: '1', fileRaw: true, value: true },
  allowedOperations: { raw: 'Payments', value: ['payments'] },
  maxAmount: { raw: 'usd:500', value: { byCurrency: { usd: 500 } } },
  dailyLimit: { raw: '700', fileRaw: 700, value: { default: 700, byCurrency: {} } },
  confirm: { raw: 'all', value: 'all' },
  confirmAbove: { raw: '100', value: { default: 100, byCurrency: {} } },
  allowLive: { raw: 'yes', fileRaw: true, value: true },
  redact: { raw: 'Email', value: ['email'] },
  approvalTtlSeconds: { raw: '60', fileRaw: 60, value: 60 },
  confirmChannel: { raw: 'both', value: 'both' },
  approvalWaitSeconds: { raw: '5', fileRaw: 5, value: 5 },
  notifyUrl: { raw: 'http://127.0.0.1:9/hook', value: 'http://127.0.0.1:9/hook' },
  webhookSecrets: { raw: 'whsec_abcdefgh12', value: ['whsec_abcdefgh12'] },
  webhookTolerance: { raw: '30', fileRaw: 30, value: 30 },
  webhookPort: { raw: '4242', fileRaw: 4242, value: 4242 },
  syncOnStart: { raw: 'on', fileRaw: true, value: true },
  transport: { raw: 'http', value: 'http' },
  host: { raw: '127.0.0.2', value: '127.0.0.2' },
  port: { raw: '8080', fileRaw: 8080, value: 8080 },
  logLevel: { raw: 'warn', value: 'warn' },
  dataDir: { raw: '/tmp/mcp-stripe-x', value: '/tmp/mcp-stripe-x' },
  config: { raw: 'x.json', value: 'x.json' },
  auth: { raw: 'oauth, api-key', fileRaw: ['oauth', 'api-key'], value: ['oauth', 'api-key'] },
  publicUrl: { raw: 'https://mcp.example.com/', value: 'https://mcp.example.com' },
  allowedOrigins: { raw: 'https://app.example.com', value: ['https://app.example.com'] },
  trustProxy: { raw: 'true', fileRaw: true, value: true },
  metricsToken: { raw: 'scrape-token-0123456789', value: 'scrape-token-0123456789' },
  oauthIssuer: { raw: 'https://idp.example.com/', value: 'https://idp.example.com' },
  oauthIntrospectionUrl: {
    raw: 'https://idp.example.com/introspect',
    value: 'https://idp.example.com/introspect',
  },
  oauthClientId: { raw: 'mcp-stripe', value: 'mcp-stripe' },
  oauthClientSecret: { raw: 's3cret', value: 's3cret' },
  rateLimit: { raw: '60', fileRaw: 60, value: 60 },
  plans: { raw: '/srv/plans.json', value: '/srv/plans.json' },
  billingUser: { raw: 'user@example.com', value: 'user@example.com' },
  upstream: { raw: 'http://127.0.0.1:9000/mcp', value: 'http://127.0.0.1:9000/mcp' },
  upstreamCommand: { raw: 'python server.py', value: 'python server.py' },
  upstreamTimeout: { raw: '20', fileRaw: 20, value: 20 },
};

const entries = Object.entries(OPTIONS) as [OptionKey, (typeof OPTIONS)[OptionKey]][];
const read = (key: OptionKey, sources: Parameters<typeof readOptions>[0]) => {
  const r = readOptions(sources, [key]);
  expect(r.problems).toEqual([]);
  return r.values[key];
};

describe('the option table', () => {
  it.each(entries)('%s is read from its flag, every environment name and every file path', (key, o) => {
    const sample = SAMPLES[key];
    if ('flag' in o) {
      const flag = 'value' in o ? String(sample.raw) : true;
      expect(read(key, { flags: { [key]: flag }, env: {} })).toEqual(sample.value);
    }
    for (const name of 'env' in o ? o.env : [])
      expect(read(key, { flags: {}, env: { [name]: String(sample.raw) } }), name).toEqual(sample.value);
    for (const f of 'file' in o ? o.file : []) {
      const [section, k] = f.path.split('.') as [string, string];
      const raw = 'to' in f ? true : (sample.fileRaw ?? sample.raw);
      const file = fileConfigSchema().parse({ [section]: { [k]: raw } });
      const want = 'to' in f ? f.to(true) : sample.value;
      expect(read(key, { flags: {}, env: {}, file }), f.path).toEqual(want);
    }
  });

  it('a flag beats the environment, which beats the file; an empty value is unset; aliases in order', () => {
    const file = fileConfigSchema().parse({ server: { port: 1 } });
    const port = (flags: object, env: Record<string, string>) =>
      readOptions({ flags, env, file }, ['port']).values.port;
    expect(port({ port: '3' }, { MCP_STRIPE_PORT: '2' })).toBe(3);
    expect(port({}, { MCP_STRIPE_PORT: '2', PORT: '4' })).toBe(2);
    expect(port({}, { PORT: '4' })).toBe(4);
    expect(port({}, { MCP_STRIPE_PORT: '' })).toBe(1);
    expect(readOptions({ flags: {}, env: {} }, ['port']).values.port).toBe(3000);
  });

  it('a bad value is named by where it came from, and the default stands in', () => {
    const env = readOptions({ flags: {}, env: { PORT: 'x' } }, ['port']);
    expect(env.problems).toEqual(['PORT must be a whole number from 0 to 65535 (got "x").']);
    expect(env.values.port).toBe(3000);
    const file = fileConfigSchema().parse({ security: { maxAmount: '$5' } });
    expect(readOptions({ flags: {}, env: {}, file, filePath: 'c.json' }, ['maxAmount']).problems[0]).toMatch(
      /^security\.maxAmount in --config=c\.json: "\$5" is not an amount/,
    );
  });

  it('secrets are never echoed in a problem', () => {
    const bad = 'whsec_';
    const r = readOptions({ flags: {}, env: { STRIPE_WEBHOOK_SECRET: `${bad}zz` } }, ['webhookSecrets']);
    expect(r.problems[0]).toMatch(/^STRIPE_WEBHOOK_SECRET must hold signing secrets/);
    expect(r.problems[0]).not.toContain(`${bad}zz`);
  });

  it('parseArgs options, flags, --help and the docs cover every option', () => {
    const args = parseArgsOptions();
    const help = renderOptionsHelp();
    const md = renderOptionsMarkdown();
    for (const [key, o] of entries) {
      if ('flag' in o) {
        expect(args[o.flag.slice(2)]).toEqual({ type: 'value' in o ? 'string' : 'boolean' });
        expect(flagsFrom({ [o.flag.slice(2)]: 'v' })).toEqual({ [key]: 'v' });
        expect(help).toContain(o.flag);
        expect(md).toContain(`\`${o.flag}`);
      }
      for (const name of 'env' in o ? o.env : []) {
        expect(help, name).toContain(name);
        expect(md, name).toContain(`\`${name}\``);
      }
      for (const f of 'file' in o ? o.file : []) expect(md).toContain(`\`${f.path}\``);
    }
    for (const line of help.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
  });

  it('every default parses as its own option would', () => {
    for (const [key, o] of entries) {
      if (!('default' in o) || typeof o.default === 'function') continue;
      const raw = Array.isArray(o.default) ? o.default.join(',') : String(o.default);
      if (raw === '') continue;
      expect(o.parse(raw, key), key).toEqual(o.default);
    }
  });
});
