import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from './errors.js';
import { classifyKey } from './keys.js';
import {
  FILE_KEYS,
  fileConfigSchema,
  readOptions,
  toolDefaults,
  type FileConfig,
  type Flags,
  type Values,
} from './options.js';
import { loadPlansFile, type PlansFile } from './plans.js';
import type { Config } from './schema.js';
import type { TenantConfig, TenantParsed } from './tenants.js';

export type { Flags };

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

/** The config file named by --config (or nothing), read and checked; its problems are thrown on their own. */
export function readConfigFileOf(flags: Flags, read?: (path: string) => string): FileConfig {
  if (!flags.config) return {};
  const problems: string[] = [];
  const file = readConfigFile(flags.config, read, problems);
  // An invalid file stops here, with its own errors only (not the follow-on ones, such as a missing key).
  if (problems.length > 0) throw new ConfigError(problems);
  return file;
}

/** Every option from the table (options.ts), then the checks that involve more than one option. */
export function loadConfig(opts: LoadOptions): Config {
  const { flags, env } = opts;
  const file = readConfigFileOf(flags, opts.readFile);
  const { values: v, problems } = readOptions({ flags, env, file, filePath: flags.config });

  let keyMode: Config['keyMode'] = 'test';
  // With only --auth=stripe-key every caller brings its own key: the server needs none.
  const callersBringKeys = v.auth.length > 0 && v.auth.every((m) => m === 'stripe-key');
  if (!v.sandbox && !(callersBringKeys && v.apiKey === undefined)) {
    if (v.apiKey === undefined) {
      problems.push(
        'No Stripe API key. Pass --api-key=sk_test_… (or set STRIPE_SECRET_KEY), or run with --sandbox to use the built-in Stripe sandbox (no key or account needed).',
      );
    } else {
      const info = classifyKey(v.apiKey);
      if ('error' in info) problems.push(`Invalid --api-key / STRIPE_SECRET_KEY: ${info.error}`);
      else keyMode = info.mode;
    }
  }
  problems.push(...remoteProblems(v));
  if (v.auth.includes('embedded') && !v.sandbox && (file.users ?? []).length === 0)
    problems.push(
      '--auth=embedded needs at least one user in the config file\'s "users" (add one with: mcp-stripe users add --username=NAME --config=FILE); with --sandbox a demo user is made for you.',
    );
  if (!v.sandbox && keyMode === 'live' && !v.allowLive) {
    problems.push(
      'The API key is a live key: it moves real money. Live keys are refused unless you pass --allow-live (or set MCP_STRIPE_ALLOW_LIVE=1); in live mode every money-moving call then needs human confirmation unless you set --confirm explicitly. For testing, use a test key (sk_test_…) or --sandbox.',
    );
  }
  const tenants = resolveTenants(file.tenants ?? [], env, v.allowLive, problems);
  if (tenants.length > 0 && v.auth.length === 0)
    problems.push(
      'tenants need --auth: a tenant is chosen by who the caller is, and without authentication every caller is the same.',
    );
  let plans: PlansFile | undefined;
  if (v.plans !== undefined) {
    const loaded = loadPlansFile(v.plans);
    if ('problems' in loaded) problems.push(...loaded.problems);
    else plans = loaded.plans;
  }
  if (problems.length > 0) throw new ConfigError(problems);

  // Default: the compact profile (every endpoint, a small tools/list). `all`: every named tool too.
  const tools = v.tools ?? [];
  const allow: 'all' | string[] = tools.includes('all') ? 'all' : tools.length === 0 ? ['compact'] : tools;
  return {
    apiKey: v.apiKey ?? '',
    keyMode,
    sandbox: v.sandbox,
    seed: v.seed,
    apiVersion: v.apiVersion ?? opts.defaultApiVersion,
    timeoutMs: v.timeoutMs,
    callTimeoutMs: v.callTimeoutMs,
    maxNetworkRetries: v.maxNetworkRetries,
    apiBase: v.apiBase,
    stripeAccount: v.stripeAccount,
    security: {
      permissions: {
        allow,
        deny: v.deny,
        readOnly: v.readOnly,
        ...(v.allowedOperations ? { operations: v.allowedOperations } : {}),
      },
      maxAmount: v.maxAmount,
      dailyLimit: v.dailyLimit,
      confirm: v.confirm ?? (keyMode === 'live' && !v.sandbox ? 'money' : 'none'),
      confirmAbove: v.confirmAbove,
      allowLive: v.allowLive,
      redact: v.redact,
      approvalTtlMs: v.approvalTtlSeconds * 1000,
      // Over HTTP the client may be anyone's: only an operator confirms. Over stdio it is the user's own app.
      confirmChannel: v.confirmChannel ?? (v.transport === 'http' ? 'console' : 'elicitation'),
      approvalWaitMs: v.approvalWaitSeconds * 1000,
      notifyUrl: v.notifyUrl,
    },
    dataDir: v.dataDir,
    ...(v.databaseUrl ? { databaseUrl: v.databaseUrl } : {}),
    webhooks: {
      secrets: v.webhookSecrets,
      toleranceSeconds: v.webhookTolerance,
      ...(v.webhookPort === undefined ? {} : { port: v.webhookPort }),
      syncOnStart: v.syncOnStart,
    },
    defaults: toolDefaults(v),
    transport: v.transport,
    remote: {
      auth: v.auth,
      publicUrl: v.publicUrl,
      allowedOrigins: v.allowedOrigins,
      trustProxy: v.trustProxy,
      ...(v.metricsToken ? { metricsToken: v.metricsToken } : {}),
      oauth: {
        issuer: v.oauthIssuer,
        introspectionUrl: v.oauthIntrospectionUrl,
        clientId: v.oauthClientId,
        clientSecret: v.oauthClientSecret,
      },
      rateLimitPerMinute: v.rateLimit,
    },
    users: file.users ?? [],
    tenants,
    billing: {
      ...(plans ? { plans, plansPath: v.plans } : {}),
      ...(v.billingUser ? { user: v.billingUser } : {}),
      ...(v.upstream || v.upstreamCommand
        ? {
            upstream: {
              ...(v.upstream ? { url: v.upstream } : {}),
              ...(v.upstreamCommand ? { command: v.upstreamCommand } : {}),
              timeoutMs: v.upstreamTimeout * 1000,
            },
          }
        : {}),
    },
    host: v.host,
    port: v.port,
    logLevel: v.logLevel,
  };
}

/** The checks that span the remote-access options. */
function remoteProblems(v: Values): string[] {
  const problems: string[] = [];
  const remote = v.transport === 'http' && !isLoopbackHost(v.host);
  if (v.auth.length > 0 && v.transport !== 'http')
    problems.push('--auth applies to the HTTP transport: add --transport=http (stdio has one local caller).');
  if (remote && v.auth.length === 0)
    problems.push(
      `--host=${v.host} is not a loopback address: a server others can reach needs authentication. Pass --auth=oauth, embedded, stripe-key or api-key (see docs/remote.md), or listen on 127.0.0.1.`,
    );
  if (remote && v.publicUrl === undefined)
    problems.push(
      `--host=${v.host} is not a loopback address: pass --public-url=https://… (the URL clients reach this server at), so tokens, metadata and links name it.`,
    );
  if (v.publicUrl !== undefined) {
    const u = new URL(v.publicUrl);
    if (u.protocol !== 'https:' && !isLoopbackHost(u.hostname))
      problems.push(
        `--public-url=${v.publicUrl} must use https:// (only a loopback public URL may be http://): tokens travel over it.`,
      );
  }
  if (v.auth.includes('oauth') && v.oauthIssuer === undefined)
    problems.push(
      '--auth=oauth needs --oauth-issuer=URL (MCP_STRIPE_OAUTH_ISSUER): the authorization server whose tokens this server accepts.',
    );
  if (
    v.oauthIntrospectionUrl !== undefined &&
    (v.oauthClientId === undefined || v.oauthClientSecret === undefined)
  )
    problems.push(
      '--oauth-introspection-url needs MCP_STRIPE_OAUTH_CLIENT_ID and MCP_STRIPE_OAUTH_CLIENT_SECRET: introspection authenticates this server.',
    );
  return problems;
}

/** Each tenant's Stripe key, read from the environment when named there; the same checks as the server's. */
function resolveTenants(
  entries: TenantParsed[],
  env: NodeJS.ProcessEnv,
  allowLive: boolean,
  problems: string[],
): TenantConfig[] {
  const seen = new Set<string>();
  return entries.map((t) => {
    if (seen.has(t.id)) problems.push(`tenants: the id "${t.id}" is used twice.`);
    seen.add(t.id);
    const apiKey = t.stripe.apiKeyEnv ? env[t.stripe.apiKeyEnv] : t.stripe.apiKey;
    if (t.stripe.apiKeyEnv && !apiKey)
      problems.push(
        `tenant "${t.id}": the environment variable ${t.stripe.apiKeyEnv} (stripe.apiKeyEnv) is not set.`,
      );
    if (apiKey) {
      const info = classifyKey(apiKey);
      if ('error' in info) problems.push(`tenant "${t.id}": ${info.error}`);
      else if (info.mode === 'live' && !allowLive)
        problems.push(`tenant "${t.id}": its key is a live key; live keys need --allow-live.`);
    }
    return {
      id: t.id,
      stripe: { ...(apiKey ? { apiKey } : {}), ...(t.stripe.account ? { account: t.stripe.account } : {}) },
      policy: {
        ...(t.policy?.tools ? { tools: t.policy.tools } : {}),
        deny: t.policy?.deny ?? [],
        readOnly: t.policy?.readOnly ?? false,
        ...(t.policy?.maxAmount ? { maxAmount: t.policy.maxAmount } : {}),
        ...(t.policy?.dailyLimit ? { dailyLimit: t.policy.dailyLimit } : {}),
        ...(t.policy?.confirm ? { confirm: t.policy.confirm } : {}),
      },
      members: t.members,
    };
  });
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
  const parsed = fileConfigSchema().safeParse(json);
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
    const hint = issue.path.length ? '' : ` (allowed keys: ${FILE_KEYS.join(', ')})`;
    return `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}${hint}.`;
  }
  return `${at}: ${issue.message}.`;
}
