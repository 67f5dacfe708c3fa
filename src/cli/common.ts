import { parseArgs } from 'node:util';
import type { CodeCacheState } from '../boot.js';
import { ConfigError } from '../config/errors.js';
import { loadConfig, type Flags } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { PINNED_API_VERSION } from '../stripe/client.js';
import { parseDuration } from '../util/duration.js';
import { PRODUCT_NAME, VERSION } from '../version.js';

export const HELP = `${PRODUCT_NAME} ${VERSION}: a Stripe MCP server for AI agents.

Usage:
  mcp-stripe [options]                 serve MCP over stdio (default) or HTTP
  mcp-stripe sandbox [--port=N]        run only the Stripe sandbox (a Stripe-compatible API)
  mcp-stripe audit tail [-n N]         the latest audited tool calls
  mcp-stripe audit export [--since=24h] every audited call since then, as JSON lines
  mcp-stripe events sync [--since=24h] fill the event log from Stripe's /v1/events (30 days max)

Options (a flag wins over its environment variable, which wins over --config):
  --api-key=KEY          Stripe secret (sk_…) or restricted (rk_…) key   STRIPE_SECRET_KEY, STRIPE_API_KEY
  --sandbox              use the built-in Stripe sandbox: no key, no account, offline
  --transport=stdio|http default stdio                                    MCP_STRIPE_TRANSPORT
  --host=HOST            HTTP listen address, loopback only (127.0.0.1)  MCP_STRIPE_HOST
  --port=N               HTTP port (default 3000)                        MCP_STRIPE_PORT
  --tools=LIST           compact (default: every endpoint, small context), STRIPE_TOOLS
                         all (every tool), or patterns (see below)
  --stripe-account=ID    Connect: act for acct_… (Stripe-Account header) STRIPE_ACCOUNT
  --config=FILE          JSON config: api / security / defaults / webhooks / server
  --log-level=LEVEL      debug, info, warn or error (logs go to stderr)  MCP_STRIPE_LOG_LEVEL
  --data-dir=DIR         durable state: events, daily limits, audit log  MCP_STRIPE_DATA_DIR
                         (default ~/.mcp-stripe)

Webhooks and events (see docs/webhooks.md):
  --webhook-port=N       stdio mode: listen for /webhooks/stripe on 127.0.0.1:N  MCP_STRIPE_WEBHOOK_PORT
  --sync-on-start        catch up from /v1/events at start-up            MCP_STRIPE_SYNC_ON_START
                         signing secrets, comma-separated                STRIPE_WEBHOOK_SECRET
                         signature tolerance, seconds (default 300)      STRIPE_WEBHOOK_TOLERANCE

Safety policy (see docs/security.md):
  --tools=PATTERNS       allow: names, globs, toolset.read|write|money, profiles
  --deny=PATTERNS        same grammar; deny beats allow                  STRIPE_DENY
  --read-only            only read tools; beats everything               STRIPE_READ_ONLY
                         resource families, e.g. payments,customers      STRIPE_ALLOWED_OPERATIONS
  --max-amount=LIMIT     per call, minor units: 50000 or usd:50000,…     STRIPE_MAX_AMOUNT
  --daily-limit=LIMIT    rolling 24 h per currency, durable              STRIPE_DAILY_LIMIT
  --confirm=MODE         none|destructive|money|all: ask a human first   STRIPE_VERIFICATION_REQUIRED
  --confirm-above=LIMIT  confirm money-moving calls above this amount    STRIPE_CONFIRM_ABOVE
  --allow-live           accept live keys (then --confirm defaults to money) MCP_STRIPE_ALLOW_LIVE
  --redact=FIELDS        mask email,phone,address,name in results        STRIPE_REDACT
  --help, --version

Environment only:
  STRIPE_API_VERSION (default ${PINNED_API_VERSION}), STRIPE_REQUEST_TIMEOUT (ms, default 30000),
  STRIPE_MAX_NETWORK_RETRIES (default 2), STRIPE_CURRENCY (default currency for tools),
  STRIPE_IDEMPOTENCY_ENABLED (default true), STRIPE_API_BASE (origin of a Stripe-compatible API).

Docs: docs/configuration.md, docs/tools.md, docs/security.md, docs/webhooks.md`;

/** Prints the problems and exits 1 (the CLI's only way out on bad input). */
export function fail(problems: string[]): never {
  for (const p of problems) process.stderr.write(`${PRODUCT_NAME}: ${p}\n`);
  process.stderr.write(`Run "${PRODUCT_NAME} --help" for usage.\n`);
  process.exit(1);
}

export function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'api-key': { type: 'string' },
        sandbox: { type: 'boolean' },
        transport: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        tools: { type: 'string' },
        'stripe-account': { type: 'string' },
        config: { type: 'string' },
        'log-level': { type: 'string' },
        deny: { type: 'string' },
        'read-only': { type: 'boolean' },
        'max-amount': { type: 'string' },
        'daily-limit': { type: 'string' },
        confirm: { type: 'string' },
        'confirm-above': { type: 'string' },
        'allow-live': { type: 'boolean' },
        redact: { type: 'string' },
        'data-dir': { type: 'string' },
        'webhook-port': { type: 'string' },
        'sync-on-start': { type: 'boolean' },
        since: { type: 'string' },
        n: { type: 'string', short: 'n' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    // Never echo argv: it may hold a key.
    const msg = (err as Error).message.replace(/(sk|rk|pk)_(test|live)_\S+/g, '$1_$2_…');
    return fail([msg]);
  }
}

/** Set by the launcher (src/boot.ts); absent when the CLI runs from source. */
export function codeCacheState(): CodeCacheState | undefined {
  return (globalThis as { __mcpStripeCodeCache?: CodeCacheState }).__mcpStripeCodeCache;
}

/** `24h`, `7d`, `30m`, `90s`, or an ISO date. */
export function parseSince(since: string, now = Date.now()): Date | undefined {
  const ms = parseDuration(since);
  if (ms !== undefined) return new Date(now - ms);
  const d = new Date(since);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The configuration from flags, environment and file; every problem reported at once, then exit 1. */
export function loadConfigOrFail(flags: Flags): Config {
  try {
    return loadConfig({ flags, env: process.env, defaultApiVersion: PINNED_API_VERSION });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.problems);
    throw err;
  }
}
