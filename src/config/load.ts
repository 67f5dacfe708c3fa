import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { parseAmountLimit, type AmountLimit } from '../policy/amounts.js';
import { ConfigError } from './errors.js';
import { classifyKey } from './keys.js';
import {
  fileConfigSchema,
  REDACTABLE,
  type Config,
  type ConfirmMode,
  type FileConfig,
  type LogLevel,
  type Redactable,
} from './schema.js';

/** Command-line options, as the CLI parsed them (all strings; flags win over env, env over file). */
export interface Flags {
  apiKey?: string;
  sandbox?: boolean;
  transport?: string;
  host?: string;
  port?: string;
  tools?: string;
  stripeAccount?: string;
  config?: string;
  logLevel?: string;
  deny?: string;
  readOnly?: boolean;
  maxAmount?: string;
  dailyLimit?: string;
  confirm?: string;
  confirmAbove?: string;
  allowLive?: boolean;
  redact?: string;
  dataDir?: string;
  webhookPort?: string;
  syncOnStart?: boolean;
}

export interface LoadOptions {
  flags: Flags;
  env: NodeJS.ProcessEnv;
  /** The SDK's pinned API version: the default for `STRIPE_API_VERSION`. */
  defaultApiVersion: string;
  readFile?: (path: string) => string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function loadConfig(opts: LoadOptions): Config {
  const { flags, env } = opts;
  const problems: string[] = [];
  const file = flags.config ? readConfigFile(flags.config, opts.readFile, problems) : {};
  // An invalid file stops here, with its own errors only (not the follow-on ones, such as a missing key).
  if (problems.length > 0) throw new ConfigError(problems);

  const pick = <T>(...values: (T | undefined)[]): T | undefined =>
    values.find((v) => v !== undefined && v !== '');

  const sandbox = flags.sandbox === true;
  const apiKey = pick(flags.apiKey, env.STRIPE_SECRET_KEY, env.STRIPE_API_KEY, file.api?.key);
  let keyMode: Config['keyMode'] = 'test';
  if (!sandbox) {
    if (apiKey === undefined) {
      problems.push(
        'No Stripe API key. Pass --api-key=sk_test_… (or set STRIPE_SECRET_KEY), or run with --sandbox to use the built-in Stripe sandbox (no key or account needed).',
      );
    } else {
      const info = classifyKey(apiKey);
      if ('error' in info) problems.push(`Invalid --api-key / STRIPE_SECRET_KEY: ${info.error}`);
      else keyMode = info.mode;
    }
  }

  const int = (
    name: string,
    raw: string | number | undefined,
    min: number,
    max: number,
  ): number | undefined => {
    if (raw === undefined || raw === '') return undefined;
    const n = typeof raw === 'number' ? raw : Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${String(raw)}").`);
      return undefined;
    }
    return n;
  };
  const bool = (name: string, raw: string | boolean | undefined): boolean | undefined => {
    if (raw === undefined || raw === '') return undefined;
    if (typeof raw === 'boolean') return raw;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    problems.push(`${name} must be true or false (got "${raw}").`);
    return undefined;
  };

  const timeoutMs =
    int(
      'STRIPE_REQUEST_TIMEOUT',
      pick<string | number>(env.STRIPE_REQUEST_TIMEOUT, file.api?.timeout),
      1,
      600_000,
    ) ?? 30_000;
  // One tool call, retries included, stays below the 60 s most MCP clients wait (3 × 30 s did not).
  const callTimeoutMs =
    int(
      'STRIPE_CALL_TIMEOUT',
      pick<string | number>(env.STRIPE_CALL_TIMEOUT, file.api?.callTimeout),
      1,
      3_600_000,
    ) ?? 50_000;
  const maxNetworkRetries =
    int(
      'STRIPE_MAX_NETWORK_RETRIES',
      pick<string | number>(env.STRIPE_MAX_NETWORK_RETRIES, file.api?.maxNetworkRetries),
      0,
      10,
    ) ?? 2;
  const idempotencyEnabled =
    bool(
      'STRIPE_IDEMPOTENCY_ENABLED',
      pick<string | boolean>(env.STRIPE_IDEMPOTENCY_ENABLED, file.defaults?.idempotencyEnabled),
    ) ?? true;
  const autoCapture =
    bool(
      'STRIPE_AUTO_CAPTURE',
      pick<string | boolean>(env.STRIPE_AUTO_CAPTURE, file.defaults?.autoCapture),
    ) ?? true;

  const apiBase = pick(env.STRIPE_API_BASE, file.api?.base);
  if (apiBase !== undefined) {
    try {
      const u = new URL(apiBase);
      if (!['http:', 'https:'].includes(u.protocol) || u.pathname.replace(/\/$/, '') !== '')
        throw new Error();
    } catch {
      problems.push(`STRIPE_API_BASE must be an origin such as http://127.0.0.1:12111 (got "${apiBase}").`);
    }
  }

  const currency = pick(env.STRIPE_CURRENCY, file.defaults?.currency)?.toLowerCase();
  if (currency !== undefined && !/^[a-z]{3}$/.test(currency)) {
    problems.push(
      `STRIPE_CURRENCY must be a three-letter ISO currency code such as usd (got "${currency}").`,
    );
  }

  const stripeAccount = pick(flags.stripeAccount, env.STRIPE_ACCOUNT, file.api?.stripeAccount);
  if (stripeAccount !== undefined && !/^acct_[A-Za-z0-9]+$/.test(stripeAccount)) {
    problems.push(
      `--stripe-account must be a Connect account id such as acct_1A2b3C (got "${stripeAccount}").`,
    );
  }

  const transport = pick(flags.transport, env.MCP_STRIPE_TRANSPORT, file.server?.transport) ?? 'stdio';
  if (transport !== 'stdio' && transport !== 'http')
    problems.push(`--transport must be stdio or http (got "${transport}").`);
  const host = pick(flags.host, env.MCP_STRIPE_HOST, file.server?.host) ?? '127.0.0.1';
  if (transport === 'http' && !isLoopbackHost(host)) {
    problems.push(
      `--host=${host} is not a loopback address. Until remote authentication exists, the HTTP transport only listens on 127.0.0.1, localhost or ::1.`,
    );
  }
  const port =
    int(
      '--port',
      pick<string | number>(flags.port, env.MCP_STRIPE_PORT, env.PORT, file.server?.port),
      0,
      65535,
    ) ?? 3000;

  const list = (raw: string | string[] | undefined): string[] =>
    (Array.isArray(raw) ? raw : (raw ?? '').split(',')).map((t) => t.trim()).filter(Boolean);
  const toolList = list(pick<string | string[]>(flags.tools, env.STRIPE_TOOLS, file.security?.tools));
  // Default: the compact profile (every endpoint, a small tools/list). `all`: every named tool too.
  const allow: 'all' | string[] = toolList.includes('all')
    ? 'all'
    : toolList.length === 0
      ? ['compact']
      : toolList;
  const deny = list(pick<string | string[]>(flags.deny, env.STRIPE_DENY, file.security?.deny));
  const readOnly =
    (flags.readOnly === true
      ? true
      : bool('STRIPE_READ_ONLY', pick<string | boolean>(env.STRIPE_READ_ONLY, file.security?.readOnly))) ??
    false;
  const opsRaw = pick<string | string[]>(env.STRIPE_ALLOWED_OPERATIONS, file.security?.allowedOperations);
  const operations = opsRaw === undefined ? undefined : list(opsRaw).map((o) => o.toLowerCase());

  const amount = (name: string, raw: string | number | undefined): AmountLimit | undefined => {
    if (raw === undefined || raw === '') return undefined;
    const parsed = parseAmountLimit(raw);
    if ('error' in parsed) {
      problems.push(`${name}: ${parsed.error}.`);
      return undefined;
    }
    return parsed;
  };
  const maxAmount = amount(
    '--max-amount / STRIPE_MAX_AMOUNT',
    pick<string | number>(flags.maxAmount, env.STRIPE_MAX_AMOUNT, file.security?.maxAmount),
  );
  const dailyLimit = amount(
    '--daily-limit / STRIPE_DAILY_LIMIT',
    pick<string | number>(flags.dailyLimit, env.STRIPE_DAILY_LIMIT, file.security?.dailyLimit),
  );
  const confirmAbove = amount(
    '--confirm-above / STRIPE_CONFIRM_ABOVE',
    pick<string | number>(flags.confirmAbove, env.STRIPE_CONFIRM_ABOVE, file.security?.confirmAbove),
  );

  const allowLive =
    (flags.allowLive === true
      ? true
      : bool(
          'MCP_STRIPE_ALLOW_LIVE',
          pick<string | boolean>(env.MCP_STRIPE_ALLOW_LIVE, file.security?.allowLive),
        )) ?? false;
  if (!sandbox && keyMode === 'live' && !allowLive) {
    problems.push(
      'The API key is a live key: it moves real money. Live keys are refused unless you pass --allow-live (or set MCP_STRIPE_ALLOW_LIVE=1); in live mode every money-moving call then needs human confirmation unless you set --confirm explicitly. For testing, use a test key (sk_test_…) or --sandbox.',
    );
  }
  const verification = file.security?.verificationRequired;
  const confirmRaw = pick<string>(
    flags.confirm,
    env.STRIPE_VERIFICATION_REQUIRED,
    file.security?.confirm,
    verification === undefined ? undefined : verification ? 'money' : 'none',
  );
  const CONFIRM_ALIASES: Record<string, ConfirmMode> = {
    true: 'money',
    '1': 'money',
    yes: 'money',
    false: 'none',
    '0': 'none',
    no: 'none',
  };
  let confirm: ConfirmMode = keyMode === 'live' && !sandbox ? 'money' : 'none';
  if (confirmRaw !== undefined) {
    const c = CONFIRM_ALIASES[confirmRaw.toLowerCase()] ?? confirmRaw.toLowerCase();
    if (!['none', 'destructive', 'money', 'all'].includes(c)) {
      problems.push(
        `--confirm / STRIPE_VERIFICATION_REQUIRED must be none, destructive, money or all (got "${confirmRaw}").`,
      );
    } else confirm = c as ConfirmMode;
  }

  const redact = list(pick<string | string[]>(flags.redact, env.STRIPE_REDACT, file.security?.redact)).map(
    (r) => r.toLowerCase(),
  );
  const badRedact = redact.filter((r) => !(REDACTABLE as readonly string[]).includes(r));
  if (badRedact.length)
    problems.push(`--redact accepts ${REDACTABLE.join(', ')} (got "${badRedact.join(', ')}").`);

  const ttlSeconds =
    int(
      'MCP_STRIPE_APPROVAL_TTL',
      pick<string | number>(env.MCP_STRIPE_APPROVAL_TTL, file.security?.approvalTtlSeconds),
      1,
      86_400,
    ) ?? 600;
  const dataDir = resolve(
    pick(flags.dataDir, env.MCP_STRIPE_DATA_DIR, file.server?.dataDir) ?? join(homedir(), '.mcp-stripe'),
  );

  const logLevel = pick(flags.logLevel, env.MCP_STRIPE_LOG_LEVEL, file.server?.logLevel) ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    problems.push(`--log-level must be debug, info, warn or error (got "${logLevel}").`);
  }

  const secrets = list(
    pick<string | string[]>(env.STRIPE_WEBHOOK_SECRET, file.webhooks?.secret, file.api?.webhookSecret),
  );
  if (secrets.some((s) => !/^whsec_[A-Za-z0-9+/=_-]{8,}$/.test(s))) {
    problems.push(
      'STRIPE_WEBHOOK_SECRET must hold signing secrets that start with whsec_ (from `stripe listen` or the Dashboard), comma-separated during a rotation.',
    );
  }
  const toleranceSeconds =
    int(
      'STRIPE_WEBHOOK_TOLERANCE',
      pick<string | number>(env.STRIPE_WEBHOOK_TOLERANCE, file.webhooks?.tolerance),
      1,
      86_400,
    ) ?? 300;
  const webhookPort = int(
    '--webhook-port',
    pick<string | number>(flags.webhookPort, env.MCP_STRIPE_WEBHOOK_PORT, file.webhooks?.port),
    0,
    65535,
  );
  const syncOnStart =
    (flags.syncOnStart === true
      ? true
      : bool(
          'MCP_STRIPE_SYNC_ON_START',
          pick<string | boolean>(env.MCP_STRIPE_SYNC_ON_START, file.webhooks?.syncOnStart),
        )) ?? false;

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    apiKey: apiKey ?? '',
    keyMode,
    sandbox,
    apiVersion: pick(env.STRIPE_API_VERSION, file.api?.version) ?? opts.defaultApiVersion,
    timeoutMs,
    maxNetworkRetries,
    apiBase: apiBase?.replace(/\/$/, ''),
    stripeAccount,
    security: {
      permissions: { allow, deny, readOnly, ...(operations ? { operations } : {}) },
      maxAmount,
      dailyLimit,
      confirm,
      confirmAbove,
      allowLive,
      redact: redact as Redactable[],
      approvalTtlMs: ttlSeconds * 1000,
    },
    dataDir,
    webhooks: {
      secrets,
      toleranceSeconds,
      ...(webhookPort === undefined ? {} : { port: webhookPort }),
      syncOnStart,
    },
    currency,
    callTimeoutMs,
    autoCapture,
    idempotencyEnabled,
    transport: transport as Config['transport'],
    host,
    port,
    logLevel: logLevel as LogLevel,
  };
}

function readConfigFile(
  path: string,
  read = (p: string) => readFileSync(p, 'utf8'),
  problems: string[],
): FileConfig {
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problems.push(
      `Cannot read --config=${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'unreadable')}.`,
    );
    return {};
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    problems.push(`--config=${path} is not valid JSON: ${(err as Error).message}.`);
    return {};
  }
  const parsed = fileConfigSchema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`--config=${path}: ${describeIssue(issue)}`);
    return {};
  }
  return parsed.data;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const at = issue.path.length ? issue.path.join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (issue.path.length ? `${issue.path.join('.')}.${k}` : k));
    const hint = issue.path.length ? '' : ' (allowed sections: api, security, defaults, webhooks, server)';
    return `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}${hint}.`;
  }
  return `${at}: ${issue.message}.`;
}
