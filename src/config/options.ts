// Every configuration option, declared once: its flag, environment names, config-file paths, parser,
// default, --help line and docs. The CLI's parseArgs options, `--help`, the config-file schema, the option
// loop in load.ts and docs/configuration.md are all generated from this table.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { parseAmountLimit } from '../policy/amounts.js';
import type { ConfirmMode } from '../policy/confirm.js';
import { tenantSchema, type TenantParsed } from './tenants.js';
import { userSchema, type UserEntry } from './users.js';

/** A value as a source holds it: a flag or environment string, or what the config file's schema accepted. */
export type Raw = string | number | boolean | readonly string[];

/** A bad value; its message names where the value came from and never repeats a secret. */
export class OptionProblem extends Error {}

export const SECTIONS = {
  stripe: { title: 'Stripe connection' },
  behaviour: { title: 'Behaviour' },
  security: { title: 'Safety policy', intro: 'See [security.md](security.md) for what each does.' },
  webhooks: { title: 'Webhooks and events', intro: 'See [webhooks.md](webhooks.md).' },
  server: { title: 'Server' },
  billing: {
    title: 'Charging for tools',
    intro: 'Plans synced to Stripe, paywalls and quotas. See [billing.md](billing.md).',
  },
  remote: {
    title: 'Remote access',
    intro:
      'Authentication, the public URL and rate limits for a server others reach. See [remote.md](remote.md).',
  },
} as const;
export type SectionId = keyof typeof SECTIONS;

/** The config file's top-level sections (`api.key`, `security.maxAmount`, …). */
export const FILE_SECTIONS = ['api', 'security', 'defaults', 'webhooks', 'server', 'billing'] as const;
type FileSection = (typeof FILE_SECTIONS)[number];

interface FileSource {
  path: `${FileSection}.${string}`;
  schema: z.ZodType;
  /** Turns the file's value into what the parser takes (e.g. `verificationRequired: true` → `money`). */
  to?: (value: never) => Raw;
}

export interface OptionSpec {
  section: SectionId;
  /** `--max-amount`; with `value` it takes one (`--max-amount=LIMIT`), without it is a switch. */
  flag?: `--${string}`;
  value?: string;
  /** Environment names, the first one preferred (the rest are aliases). */
  env?: readonly string[];
  /** Config-file paths, the first one preferred. */
  file?: readonly FileSource[];
  /** The value, or an OptionProblem naming `name` (the flag, variable or file path it came from). */
  parse: (raw: Raw, name: string) => unknown;
  /** Used when no source sets the option; absent means "not set" (undefined). */
  default?: unknown;
  /** Never echoed in a message. */
  secret?: boolean;
  /** One line for `--help`. */
  help: string;
  /** For docs/configuration.md: how to describe the default, and notes beyond the help line. */
  docs?: { default?: string; notes?: string };
}

const option = <const S extends OptionSpec>(spec: S): S => spec;

// Parsers. Each names the source it was given, so "MCP_STRIPE_PORT must be …" says what to change.
const text = (raw: Raw): string => String(raw);

const orList = (values: readonly string[]) =>
  values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;

const int =
  (min: number, max: number) =>
  (raw: Raw, name: string): number => {
    const n = typeof raw === 'number' ? raw : Number(raw);
    if (typeof raw === 'boolean' || Array.isArray(raw) || !Number.isInteger(n) || n < min || n > max)
      throw new OptionProblem(`${name} must be a whole number from ${min} to ${max} (got "${String(raw)}").`);
    return n;
  };

const bool = (raw: Raw, name: string): boolean => {
  if (typeof raw === 'boolean') return raw;
  const s = String(raw);
  if (/^(1|true|yes|on)$/i.test(s)) return true;
  if (/^(0|false|no|off)$/i.test(s)) return false;
  throw new OptionProblem(`${name} must be true or false (got "${s}").`);
};

const oneOf =
  <const V extends string>(values: readonly V[], aliases: Record<string, V> = {}) =>
  (raw: Raw, name: string): V => {
    const s = String(raw).toLowerCase();
    const v = aliases[s] ?? s;
    if (!(values as readonly string[]).includes(v))
      throw new OptionProblem(`${name} must be ${orList(values)} (got "${String(raw)}").`);
    return v as V;
  };

const list = (raw: Raw): string[] =>
  (Array.isArray(raw) ? raw : String(raw).split(',')).map((t: string) => t.trim()).filter(Boolean);

const amount = (raw: Raw, name: string) => {
  const parsed = parseAmountLimit(typeof raw === 'number' ? raw : String(raw));
  if ('error' in parsed) throw new OptionProblem(`${name}: ${parsed.error}.`);
  return parsed;
};

const matching =
  (pattern: RegExp, what: string, transform = (s: string) => s) =>
  (raw: Raw, name: string): string => {
    const s = transform(String(raw));
    if (!pattern.test(s)) throw new OptionProblem(`${name} must be ${what} (got "${s}").`);
    return s;
  };

/** An absolute http(s) URL, without a trailing slash. */
const url =
  (example: string) =>
  (raw: Raw, name: string): string => {
    const s = String(raw);
    try {
      const u = new URL(s);
      if (['http:', 'https:'].includes(u.protocol) && !u.search && !u.hash) return s.replace(/\/+$/, '');
    } catch {
      // Reported below.
    }
    throw new OptionProblem(`${name} must be an http(s) URL such as ${example} (got "${s}").`);
  };

const origin = (raw: Raw, name: string): string => {
  const s = String(raw);
  try {
    const u = new URL(s);
    if (['http:', 'https:'].includes(u.protocol) && u.pathname.replace(/\/$/, '') === '')
      return s.replace(/\/$/, '');
  } catch {
    // Reported below.
  }
  throw new OptionProblem(`${name} must be an origin such as http://127.0.0.1:12111 (got "${s}").`);
};

export const REDACTABLE = ['email', 'phone', 'address', 'name'] as const;
export type Redactable = (typeof REDACTABLE)[number];
export const CONFIRM_MODES = [
  'none',
  'destructive',
  'money',
  'all',
] as const satisfies readonly ConfirmMode[];
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const CONFIRM_CHANNELS = ['console', 'elicitation', 'both'] as const;
export const AUTH_MODES = ['oauth', 'embedded', 'stripe-key', 'api-key'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];
export type ConfirmChannel = (typeof CONFIRM_CHANNELS)[number];

const stringOrList = z.union([z.string(), z.array(z.string())]);
const amountSchema = z.union([z.string(), z.number()]);
const portSchema = z.number().int().min(0).max(65535);

export const OPTIONS = {
  apiKey: option({
    section: 'stripe',
    flag: '--api-key',
    value: 'KEY',
    env: ['STRIPE_SECRET_KEY', 'STRIPE_API_KEY'],
    file: [{ path: 'api.key', schema: z.string() }],
    parse: text,
    secret: true,
    help: 'Stripe secret (sk_…) or restricted (rk_…) key',
    docs: {
      default: 'required without `--sandbox`',
      notes: '`sk_test_`, `rk_test_`, `sk_live_`, `rk_live_`; `pk_` keys and malformed keys are refused',
    },
  }),
  sandbox: option({
    section: 'stripe',
    flag: '--sandbox',
    parse: bool,
    default: false,
    help: 'use the built-in Stripe sandbox: no key, no account, offline',
    docs: { notes: 'it listens on 127.0.0.1, on a free port, and keeps everything in memory' },
  }),
  seed: option({
    section: 'stripe',
    flag: '--seed',
    value: 'demo|none',
    parse: oneOf(['demo', 'none']),
    default: 'demo',
    help: 'what the sandbox starts with: a demo business, or nothing',
    docs: {
      notes:
        '`demo`: about 200 customers over the last 120 days with subscriptions, payments, refunds, disputes and payouts in several currencies, the same every run of a day; `mcp-stripe sandbox` starts empty unless given `--seed=demo`',
    },
  }),
  apiVersion: option({
    section: 'stripe',
    env: ['STRIPE_API_VERSION'],
    file: [{ path: 'api.version', schema: z.string() }],
    parse: text,
    help: "Stripe API version (default: the SDK's pinned one)",
    docs: { default: "the SDK's pinned version" },
  }),
  timeoutMs: option({
    section: 'stripe',
    env: ['STRIPE_REQUEST_TIMEOUT'],
    file: [{ path: 'api.timeout', schema: z.number().int().positive() }],
    parse: int(1, 600_000),
    default: 30_000,
    help: 'milliseconds per Stripe request attempt',
  }),
  callTimeoutMs: option({
    section: 'stripe',
    env: ['STRIPE_CALL_TIMEOUT'],
    file: [{ path: 'api.callTimeout', schema: z.number().int().positive() }],
    // One tool call, retries included, stays below the 60 s most MCP clients wait (3 × 30 s did not).
    parse: int(1, 3_600_000),
    default: 50_000,
    help: 'milliseconds for one tool call, retries included',
    docs: {
      notes:
        'below the 60 s MCP clients wait; past it the agent is told the outcome and that retrying is safe',
    },
  }),
  maxNetworkRetries: option({
    section: 'stripe',
    env: ['STRIPE_MAX_NETWORK_RETRIES'],
    file: [{ path: 'api.maxNetworkRetries', schema: z.number().int().min(0).max(10) }],
    parse: int(0, 10),
    default: 2,
    help: 'retries of a failed request (they reuse its idempotency key)',
  }),
  apiBase: option({
    section: 'stripe',
    env: ['STRIPE_API_BASE'],
    file: [{ path: 'api.base', schema: z.string() }],
    parse: origin,
    help: 'origin of a Stripe-compatible API, e.g. http://127.0.0.1:12111',
    docs: { default: 'api.stripe.com' },
  }),
  stripeAccount: option({
    section: 'stripe',
    flag: '--stripe-account',
    value: 'acct_…',
    env: ['STRIPE_ACCOUNT'],
    file: [{ path: 'api.stripeAccount', schema: z.string() }],
    parse: matching(/^acct_[A-Za-z0-9]+$/, 'a Connect account id such as acct_1A2b3C'),
    help: 'Connect: act for this account (Stripe-Account header)',
  }),

  currency: option({
    section: 'behaviour',
    env: ['STRIPE_CURRENCY'],
    file: [{ path: 'defaults.currency', schema: z.string() }],
    parse: matching(/^[a-z]{3}$/, 'a three-letter ISO currency code such as usd', (s) => s.toLowerCase()),
    help: 'currency for tools whose currency is omitted',
    docs: { notes: 'without it those tools require `currency`' },
  }),
  idempotencyEnabled: option({
    section: 'behaviour',
    env: ['STRIPE_IDEMPOTENCY_ENABLED'],
    file: [{ path: 'defaults.idempotencyEnabled', schema: z.boolean() }],
    parse: bool,
    default: true,
    help: 'send writes with an idempotency key derived from the request',
    docs: {
      notes:
        "`false` sends writes without a derived key (a caller's `idempotency_key` is still sent). Stripe keeps keys for 24 hours: the same call a day later runs again",
    },
  }),
  autoCapture: option({
    section: 'behaviour',
    env: ['STRIPE_AUTO_CAPTURE'],
    file: [{ path: 'defaults.autoCapture', schema: z.boolean() }],
    parse: bool,
    default: true,
    help: 'false: new payment intents only authorize (capture_method=manual)',
    docs: { notes: 'unless the call sets `capture_method` itself' },
  }),

  tools: option({
    section: 'security',
    flag: '--tools',
    value: 'LIST',
    env: ['STRIPE_TOOLS'],
    file: [{ path: 'security.tools', schema: stringOrList }],
    parse: list,
    help: 'compact (default), all, tool names, globs, toolset.read|write|money',
    docs: {
      default: '`compact`',
      notes:
        'profiles (`compact`: every endpoint in a small tools/list; `all`: every named tool too), tool names and patterns (`list_*`, `refunds.*`, `*.read`); a pattern that matches nothing is an error',
    },
  }),
  deny: option({
    section: 'security',
    flag: '--deny',
    value: 'LIST',
    env: ['STRIPE_DENY'],
    file: [{ path: 'security.deny', schema: stringOrList }],
    parse: list,
    default: [],
    help: 'same grammar as --tools; deny beats allow',
  }),
  readOnly: option({
    section: 'security',
    flag: '--read-only',
    env: ['STRIPE_READ_ONLY'],
    file: [{ path: 'security.readOnly', schema: z.boolean() }],
    parse: bool,
    default: false,
    help: 'only read tools; beats everything',
  }),
  allowedOperations: option({
    section: 'security',
    env: ['STRIPE_ALLOWED_OPERATIONS'],
    file: [{ path: 'security.allowedOperations', schema: stringOrList }],
    parse: (raw: Raw) => list(raw).map((o) => o.toLowerCase()),
    help: 'resource families, e.g. payments,customers',
    docs: { default: 'no restriction' },
  }),
  maxAmount: option({
    section: 'security',
    flag: '--max-amount',
    value: 'LIMIT',
    env: ['STRIPE_MAX_AMOUNT'],
    file: [{ path: 'security.maxAmount', schema: amountSchema }],
    parse: amount,
    help: 'per call, minor units: 50000 or usd:50000,…',
  }),
  dailyLimit: option({
    section: 'security',
    flag: '--daily-limit',
    value: 'LIMIT',
    env: ['STRIPE_DAILY_LIMIT'],
    file: [{ path: 'security.dailyLimit', schema: amountSchema }],
    parse: amount,
    help: 'rolling 24 h per currency, durable',
  }),
  confirm: option({
    section: 'security',
    flag: '--confirm',
    value: 'MODE',
    env: ['STRIPE_VERIFICATION_REQUIRED'],
    file: [
      { path: 'security.confirm', schema: z.enum(CONFIRM_MODES) },
      // As in published Stripe MCP guides: true confirms money-moving calls.
      {
        path: 'security.verificationRequired',
        schema: z.boolean(),
        to: (v: boolean) => (v ? 'money' : 'none'),
      },
    ],
    parse: oneOf(CONFIRM_MODES, {
      true: 'money',
      '1': 'money',
      yes: 'money',
      false: 'none',
      '0': 'none',
      no: 'none',
    }),
    help: 'none|destructive|money|all: ask a human first',
    docs: {
      default: '`none`; `money` with a live key',
      notes: '`true` means `money` and `false` means `none` (the names published Stripe MCP guides use)',
    },
  }),
  confirmAbove: option({
    section: 'security',
    flag: '--confirm-above',
    value: 'LIMIT',
    env: ['STRIPE_CONFIRM_ABOVE'],
    file: [{ path: 'security.confirmAbove', schema: amountSchema }],
    parse: amount,
    help: 'confirm money-moving calls above this amount',
  }),
  allowLive: option({
    section: 'security',
    flag: '--allow-live',
    env: ['MCP_STRIPE_ALLOW_LIVE'],
    file: [{ path: 'security.allowLive', schema: z.boolean() }],
    parse: bool,
    default: false,
    help: 'accept live keys (then --confirm defaults to money)',
    docs: { default: 'off (live keys refused)' },
  }),
  redact: option({
    section: 'security',
    flag: '--redact',
    value: 'FIELDS',
    env: ['STRIPE_REDACT'],
    file: [{ path: 'security.redact', schema: stringOrList }],
    parse: (raw: Raw, name: string): Redactable[] => {
      const fields = list(raw).map((r) => r.toLowerCase());
      const bad = fields.filter((r) => !(REDACTABLE as readonly string[]).includes(r));
      if (bad.length)
        throw new OptionProblem(`${name} accepts ${REDACTABLE.join(', ')} (got "${bad.join(', ')}").`);
      return fields as Redactable[];
    },
    default: [],
    help: 'mask email,phone,address,name in results',
  }),
  confirmChannel: option({
    section: 'security',
    flag: '--confirm-channel',
    value: 'CHANNEL',
    env: ['MCP_STRIPE_CONFIRM_CHANNEL'],
    file: [{ path: 'security.confirmChannel', schema: z.enum(CONFIRM_CHANNELS) }],
    parse: oneOf(CONFIRM_CHANNELS),
    help: 'who confirms: console (an operator), elicitation (the client asks its user) or both',
    docs: {
      default: '`console` over HTTP, `elicitation` over stdio',
      notes:
        "elicitation trusts the MCP client to ask a person: only for a client that is the user's own app; the caller can never decide a console approval",
    },
  }),
  approvalWaitSeconds: option({
    section: 'security',
    env: ['MCP_STRIPE_APPROVAL_WAIT'],
    file: [{ path: 'security.approvalWaitSeconds', schema: z.number().int().min(0).max(600) }],
    parse: int(0, 600),
    default: 30,
    help: 'seconds a call waits for an operator before answering that it is still waiting',
  }),
  notifyUrl: option({
    section: 'security',
    flag: '--notify-url',
    value: 'URL',
    env: ['MCP_STRIPE_NOTIFY_URL'],
    file: [{ path: 'security.notifyUrl', schema: z.string() }],
    parse: (raw: Raw, name: string): string => {
      const s = String(raw);
      try {
        if (['http:', 'https:'].includes(new URL(s).protocol)) return s;
      } catch {
        // Reported below.
      }
      throw new OptionProblem(`${name} must be an http(s) URL, e.g. a Slack incoming webhook (got "${s}").`);
    },
    secret: true,
    help: 'POST a JSON notice (Slack-compatible) when a call starts waiting for approval',
  }),
  approvalTtlSeconds: option({
    section: 'security',
    env: ['MCP_STRIPE_APPROVAL_TTL'],
    file: [{ path: 'security.approvalTtlSeconds', schema: z.number().int().positive() }],
    parse: int(1, 86_400),
    default: 600,
    help: 'seconds a pending approval stays valid',
  }),

  webhookSecrets: option({
    section: 'webhooks',
    env: ['STRIPE_WEBHOOK_SECRET'],
    file: [
      { path: 'webhooks.secret', schema: stringOrList },
      // The shape published Stripe MCP guides use.
      { path: 'api.webhookSecret', schema: stringOrList },
    ],
    parse: (raw: Raw, name: string): string[] => {
      const secrets = list(raw);
      if (secrets.some((s) => !/^whsec_[A-Za-z0-9+/=_-]{8,}$/.test(s)))
        throw new OptionProblem(
          `${name} must hold signing secrets that start with whsec_ (from \`stripe listen\` or the Dashboard), comma-separated during a rotation.`,
        );
      return secrets;
    },
    secret: true,
    default: [],
    help: 'signing secrets, comma-separated during a rotation',
    docs: { default: 'none: `/webhooks/stripe` answers 503' },
  }),
  webhookTolerance: option({
    section: 'webhooks',
    env: ['STRIPE_WEBHOOK_TOLERANCE'],
    file: [{ path: 'webhooks.tolerance', schema: z.number().int().positive() }],
    parse: int(1, 86_400),
    default: 300,
    help: 'signature tolerance, seconds',
  }),
  webhookPort: option({
    section: 'webhooks',
    flag: '--webhook-port',
    value: 'N',
    env: ['MCP_STRIPE_WEBHOOK_PORT'],
    file: [{ path: 'webhooks.port', schema: portSchema }],
    parse: int(0, 65535),
    help: 'stdio mode: listen for /webhooks/stripe on 127.0.0.1:N',
    docs: { notes: 'HTTP mode serves the route itself' },
  }),
  syncOnStart: option({
    section: 'webhooks',
    flag: '--sync-on-start',
    env: ['MCP_STRIPE_SYNC_ON_START'],
    file: [{ path: 'webhooks.syncOnStart', schema: z.boolean() }],
    parse: bool,
    default: false,
    help: 'catch up from /v1/events at start-up',
  }),

  transport: option({
    section: 'server',
    flag: '--transport',
    value: 'stdio|http',
    env: ['MCP_STRIPE_TRANSPORT'],
    file: [{ path: 'server.transport', schema: z.enum(['stdio', 'http']) }],
    parse: oneOf(['stdio', 'http']),
    default: 'stdio',
    help: 'how MCP is served',
    docs: { notes: 'HTTP serves `/mcp` (Streamable HTTP) and `GET /healthz`' },
  }),
  host: option({
    section: 'server',
    flag: '--host',
    value: 'HOST',
    env: ['MCP_STRIPE_HOST'],
    file: [{ path: 'server.host', schema: z.string() }],
    parse: text,
    default: '127.0.0.1',
    help: 'HTTP listen address',
    docs: {
      notes:
        'any `127.0.0.0/8` address, `localhost` or `::1` without authentication; any other address needs `--auth` and `--public-url`',
    },
  }),
  port: option({
    section: 'server',
    flag: '--port',
    value: 'N',
    env: ['MCP_STRIPE_PORT', 'PORT'],
    file: [{ path: 'server.port', schema: portSchema }],
    parse: int(0, 65535),
    default: 3000,
    help: 'HTTP port; 0 picks a free one',
  }),
  logLevel: option({
    section: 'server',
    flag: '--log-level',
    value: 'LEVEL',
    env: ['MCP_STRIPE_LOG_LEVEL'],
    file: [{ path: 'server.logLevel', schema: z.enum(LOG_LEVELS) }],
    parse: oneOf(LOG_LEVELS),
    default: 'info',
    help: 'debug, info, warn or error (logs go to stderr)',
    docs: { notes: 'structured JSON lines on stderr; `debug` adds one line per tool call' },
  }),
  dataDir: option({
    section: 'server',
    flag: '--data-dir',
    value: 'DIR',
    env: ['MCP_STRIPE_DATA_DIR'],
    file: [{ path: 'server.dataDir', schema: z.string() }],
    parse: (raw: Raw) => resolve(String(raw)),
    default: () => join(homedir(), '.mcp-stripe'),
    help: 'durable state: events, daily limits, audit log',
    docs: {
      default: '`~/.mcp-stripe`',
      notes: 'the SQLite store (ledger, audit log, event log); `--sandbox` keeps all of it in memory',
    },
  }),
  databaseUrl: option({
    section: 'server',
    flag: '--database-url',
    value: 'URL',
    env: ['DATABASE_URL', 'MCP_STRIPE_DATABASE_URL'],
    file: [{ path: 'server.databaseUrl', schema: z.string() }],
    parse: (raw: Raw, name: string) => {
      const url = String(raw);
      if (!/^postgres(ql)?:\/\//.test(url))
        throw new Error(`${name} must be a postgres:// URL (postgres://user:password@host:5432/database)`);
      return url;
    },
    secret: true,
    help: 'Postgres for every durable port, shared by several instances (instead of --data-dir)',
    docs: {
      default: 'none: SQLite in `--data-dir`',
      notes:
        'several instances on one database share events, ledger, audit, approvals, keys, OAuth state and billing; see [deploy.md](deploy.md)',
    },
  }),
  auth: option({
    section: 'remote',
    flag: '--auth',
    value: 'MODES',
    env: ['MCP_STRIPE_AUTH'],
    file: [{ path: 'server.auth', schema: stringOrList }],
    parse: (raw: Raw, name: string): AuthMode[] => {
      const modes = list(raw);
      const bad = modes.filter((m) => !(AUTH_MODES as readonly string[]).includes(m));
      if (bad.length)
        throw new OptionProblem(
          `${name} accepts ${AUTH_MODES.join(', ')}, comma-separated (got "${bad.join(', ')}").`,
        );
      return [...new Set(modes)] as AuthMode[];
    },
    default: [],
    help: 'how HTTP callers authenticate: oauth, embedded, stripe-key, api-key (comma-separated)',
    docs: {
      default: 'none: loopback only, every caller trusted',
      notes:
        'several may be combined; each bearer token goes to the mode its form names (`mcps_…`, `sk_…`/`rk_…`, a JWT)',
    },
  }),
  publicUrl: option({
    section: 'remote',
    flag: '--public-url',
    value: 'URL',
    env: ['MCP_STRIPE_PUBLIC_URL'],
    file: [{ path: 'server.publicUrl', schema: z.string() }],
    parse: url('https://mcp.example.com'),
    help: 'the URL clients reach this server at; the OAuth resource is URL/mcp',
    docs: {
      default: 'the listen address',
      notes:
        'used for the token audience, the protected-resource metadata and every absolute link; its host is allowed in `Host`',
    },
  }),
  allowedOrigins: option({
    section: 'remote',
    flag: '--allowed-origins',
    value: 'ORIGINS',
    env: ['MCP_STRIPE_ALLOWED_ORIGINS'],
    file: [{ path: 'server.allowedOrigins', schema: stringOrList }],
    parse: (raw: Raw, name: string): string[] => list(raw).map((o) => origin(o, name)),
    default: [],
    help: 'browser origins allowed to call /mcp (CORS), comma-separated',
    docs: { notes: "for browser-based MCP clients; the public URL's own origin is always allowed" },
  }),
  metricsToken: option({
    section: 'remote',
    flag: '--metrics-token',
    value: 'TOKEN',
    env: ['MCP_STRIPE_METRICS_TOKEN'],
    file: [{ path: 'server.metricsToken', schema: z.string() }],
    parse: (raw: Raw, name: string) => {
      const token = String(raw);
      if (token.length < 16) throw new Error(`${name} must be at least 16 characters (a random string)`);
      return token;
    },
    secret: true,
    help: 'the bearer token GET /metrics asks for on a server with --auth',
    docs: {
      default: 'none: `/metrics` open on a loopback server without authentication, closed with `--auth`',
      notes: 'Prometheus scrapes with `Authorization: Bearer TOKEN`; see [deploy.md](deploy.md)',
    },
  }),
  trustProxy: option({
    section: 'remote',
    flag: '--trust-proxy',
    env: ['MCP_STRIPE_TRUST_PROXY'],
    file: [{ path: 'server.trustProxy', schema: z.boolean() }],
    parse: bool,
    default: false,
    help: 'honour X-Forwarded-Host from a TLS-terminating proxy in the Host check',
    docs: { notes: 'only behind a proxy that sets (and overwrites) that header' },
  }),
  oauthIssuer: option({
    section: 'remote',
    flag: '--oauth-issuer',
    value: 'URL',
    env: ['MCP_STRIPE_OAUTH_ISSUER'],
    file: [{ path: 'server.oauthIssuer', schema: z.string() }],
    parse: url('https://example.okta.com/oauth2/default'),
    help: 'the authorization server whose tokens --auth=oauth accepts',
    docs: {
      notes:
        'its keys are found by RFC 8414 / OpenID discovery; tokens must name `<public-url>/mcp` as audience',
    },
  }),
  oauthIntrospectionUrl: option({
    section: 'remote',
    flag: '--oauth-introspection-url',
    value: 'URL',
    env: ['MCP_STRIPE_OAUTH_INTROSPECTION_URL'],
    file: [{ path: 'server.oauthIntrospectionUrl', schema: z.string() }],
    parse: url('https://idp.example.com/oauth2/introspect'),
    help: 'RFC 7662 introspection endpoint, for opaque (non-JWT) access tokens',
  }),
  oauthClientId: option({
    section: 'remote',
    env: ['MCP_STRIPE_OAUTH_CLIENT_ID'],
    file: [{ path: 'server.oauthClientId', schema: z.string() }],
    parse: text,
    help: "this server's client id at the issuer (introspection, console sign-in)",
    docs: {
      notes:
        'a confidential client: it authenticates introspection, and operators sign in to the console through it (redirect URI `<public-url>/console/oauth/callback`, scope `stripe:admin`)',
    },
  }),
  oauthClientSecret: option({
    section: 'remote',
    env: ['MCP_STRIPE_OAUTH_CLIENT_SECRET'],
    file: [{ path: 'server.oauthClientSecret', schema: z.string() }],
    parse: text,
    secret: true,
    help: "this server's client secret at the issuer (introspection, console sign-in)",
  }),
  rateLimit: option({
    section: 'remote',
    flag: '--rate-limit',
    value: 'N',
    env: ['MCP_STRIPE_RATE_LIMIT'],
    file: [{ path: 'server.rateLimit', schema: z.number().int().min(0) }],
    parse: int(0, 1_000_000),
    default: 300,
    help: 'MCP requests per minute per authenticated caller; 0 turns the limit off',
    docs: { notes: 'over it: HTTP 429 with `Retry-After`' },
  }),

  plans: option({
    section: 'billing',
    flag: '--plans',
    value: 'FILE',
    env: ['MCP_STRIPE_PLANS'],
    file: [{ path: 'billing.plans', schema: z.string() }],
    parse: (raw: Raw) => resolve(String(raw)),
    help: 'a plans file: put tools behind plans and quotas (mcp-stripe billing sync makes them at Stripe)',
    docs: { notes: 'JSON; see [billing.md](billing.md) for the fields' },
  }),
  billingUser: option({
    section: 'billing',
    flag: '--billing-user',
    value: 'ID',
    env: ['MCP_STRIPE_BILLING_USER'],
    file: [{ path: 'billing.user', schema: z.string() }],
    parse: matching(/^[\w.@:+-]{1,200}$/, 'an id of letters, digits and . @ : + - _'),
    help: 'who pays, over stdio (over HTTP it is the authenticated caller)',
  }),
  upstream: option({
    section: 'billing',
    flag: '--upstream',
    value: 'URL',
    env: ['MCP_STRIPE_UPSTREAM'],
    file: [{ path: 'billing.upstream', schema: z.string() }],
    parse: url('http://127.0.0.1:9000/mcp'),
    help: 'mcp-stripe gateway: the MCP server (Streamable HTTP) to put plans in front of',
  }),
  upstreamCommand: option({
    section: 'billing',
    flag: '--upstream-command',
    value: 'CMD',
    env: ['MCP_STRIPE_UPSTREAM_COMMAND'],
    file: [{ path: 'billing.upstreamCommand', schema: z.string() }],
    parse: text,
    help: 'mcp-stripe gateway: the MCP server to run and reach over stdio ("python server.py")',
    docs: { notes: 'run by /bin/sh; its stderr goes to the log at debug level' },
  }),
  upstreamTimeout: option({
    section: 'billing',
    flag: '--upstream-timeout',
    value: 'SECONDS',
    env: ['MCP_STRIPE_UPSTREAM_TIMEOUT'],
    file: [{ path: 'billing.upstreamTimeout', schema: z.number().int().min(1).max(600) }],
    parse: int(1, 600),
    default: 50,
    help: 'mcp-stripe gateway: the most one upstream request may take; past it the call fails (and is not charged)',
  }),

  config: option({
    section: 'server',
    flag: '--config',
    value: 'FILE',
    parse: text,
    help: 'JSON config: api / security / defaults / webhooks / server',
    docs: { notes: 'see "Config file" below' },
  }),
} as const satisfies Record<string, OptionSpec>;

export type OptionKey = keyof typeof OPTIONS;
type Spec<K extends OptionKey> = (typeof OPTIONS)[K];

/** An option's value: what its parser returns, or undefined when it has no default and nothing set it. */
export type OptionValue<K extends OptionKey> =
  | (Spec<K>['parse'] extends (...a: never[]) => infer T ? T : never)
  | (Spec<K> extends { default: unknown } ? never : undefined);
export type Values = { [K in OptionKey]: OptionValue<K> };

type SectionKey<S extends SectionId> = {
  [K in OptionKey]: Spec<K>['section'] extends S ? K : never;
}[OptionKey];
/**
 * The behaviour options, handed to every tool call as `ctx.defaults` as they are: an option added to the
 * behaviour section reaches the tools with no other change.
 */
export type ToolDefaults = Pick<Values, SectionKey<'behaviour'>>;

export function toolDefaults(values: Values): ToolDefaults {
  return Object.fromEntries(
    entries.filter(([, o]) => o.section === 'behaviour').map(([key]) => [key, values[key]]),
  ) as ToolDefaults;
}

type FlagKey = { [K in OptionKey]: Spec<K> extends { flag: string } ? K : never }[OptionKey];
/** Command-line options as parseArgs returned them, by option key. */
export type Flags = {
  [K in FlagKey]?: Spec<K> extends { value: string } ? string : boolean;
};

const entries = Object.entries(OPTIONS) as [OptionKey, OptionSpec][];

/** `parseArgs` options for every option with a flag. */
export function parseArgsOptions(): Record<string, { type: 'string' | 'boolean' }> {
  return Object.fromEntries(
    entries.flatMap(([, o]) =>
      o.flag ? [[o.flag.slice(2), { type: o.value ? ('string' as const) : ('boolean' as const) }]] : [],
    ),
  );
}

/** parseArgs `values` (keyed by flag name) → Flags (keyed by option). */
export function flagsFrom(values: Record<string, unknown>): Flags {
  const flags: Record<string, unknown> = {};
  for (const [key, o] of entries)
    if (o.flag && values[o.flag.slice(2)] !== undefined) flags[key] = values[o.flag.slice(2)];
  return flags;
}

/** The config file's lists, beside its sections: who signs in to the embedded authorization server, tenants. */
const FILE_LISTS = { users: () => z.array(userSchema), tenants: () => z.array(tenantSchema()) } as const;
export const FILE_KEYS = [...FILE_SECTIONS, ...Object.keys(FILE_LISTS)] as const;

let schema: z.ZodType<FileConfig> | undefined;
/**
 * The config file's schema, built from the options' file paths (on first use: a start without
 * --config never builds it). Unknown keys at any level are errors.
 */
export function fileConfigSchema(): z.ZodType<FileConfig> {
  schema ??= z.strictObject({
    ...Object.fromEntries(Object.entries(FILE_LISTS).map(([k, list]) => [k, list().optional()])),
    ...Object.fromEntries(
      FILE_SECTIONS.map((section) => {
        const shape: Record<string, z.ZodType> = {};
        for (const [, o] of entries)
          for (const f of o.file ?? []) {
            const [s, key] = f.path.split('.') as [FileSection, string];
            if (s === section) shape[key] = f.schema;
          }
        return [section, z.strictObject(shape).partial().optional()];
      }),
    ),
  }) as z.ZodType<FileConfig>;
  return schema;
}
export type FileConfig = Partial<Record<FileSection, Record<string, unknown>>> & {
  users?: UserEntry[];
  tenants?: TenantParsed[];
};

export interface Sources {
  flags: Flags;
  env: NodeJS.ProcessEnv;
  file?: FileConfig;
  /** For messages about file values. */
  filePath?: string;
}

/**
 * Reads each option from its first source that sets it (flag, then environment names in order, then
 * file paths in order; an empty string is unset), parses it, and falls back to its default. Every problem
 * is collected, none thrown.
 */
export function readOptions<K extends OptionKey = OptionKey>(
  sources: Sources,
  keys: readonly K[] = Object.keys(OPTIONS) as K[],
  defaults: Partial<{ [P in K]: OptionValue<P> }> = {},
): { values: Pick<Values, K>; problems: string[] } {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const key of keys) {
    const o: OptionSpec = OPTIONS[key];
    const found = firstSet(o, key, sources);
    if (found) {
      try {
        values[key] = o.parse(found.raw, found.name);
        continue;
      } catch (err) {
        if (!(err instanceof OptionProblem)) throw err;
        problems.push(err.message);
      }
    }
    const d = key in defaults ? defaults[key] : o.default;
    values[key] = typeof d === 'function' ? (d as () => unknown)() : d;
  }
  return { values: values as Pick<Values, K>, problems };
}

function firstSet(o: OptionSpec, key: string, { flags, env, file, filePath }: Sources) {
  const set = (v: unknown): v is Raw => v !== undefined && v !== '';
  const flag = (flags as Record<string, unknown>)[key];
  if (o.flag && set(flag)) return { raw: flag, name: o.flag };
  for (const name of o.env ?? []) if (set(env[name])) return { raw: env[name], name };
  for (const f of o.file ?? []) {
    const [s, k] = f.path.split('.') as [FileSection, string];
    const v = file?.[s]?.[k];
    if (set(v))
      return { raw: f.to ? f.to(v as never) : v, name: `${f.path} in --config=${filePath ?? 'FILE'}` };
  }
  return undefined;
}
