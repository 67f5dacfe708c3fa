#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CodeCacheState } from './boot.js';
import { ConfigError } from './config/errors.js';
import { maskKey } from './config/keys.js';
import { loadConfig, type Flags } from './config/load.js';
import type { Config } from './config/schema.js';
import { createLogger, redactSecrets } from './log.js';
import { createRuntime, type Runtime } from './runtime.js';
import { openStore, storePath } from './storage/open.js';
import { createStripeClient, isStripeError, PINNED_API_VERSION } from './stripe/client.js';
import { describeStripeError, formatStripeFailure } from './stripe/errors.js';
import type { RunningHttp, startHttp as StartHttp } from './transports/http.js';
import { startStdio } from './transports/stdio.js';
import { closeAll } from './util/close-all.js';
import { parseDuration } from './util/duration.js';
import { PRODUCT_NAME, VERSION } from './version.js';
import { defaultSyncSince, EVENT_RETENTION_SECONDS, syncEvents } from './webhooks/sync.js';

const HELP = `${PRODUCT_NAME} ${VERSION}: a Stripe MCP server for AI agents.

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

function fail(problems: string[]): never {
  for (const p of problems) process.stderr.write(`${PRODUCT_NAME}: ${p}\n`);
  process.stderr.write(`Run "${PRODUCT_NAME} --help" for usage.\n`);
  process.exit(1);
}

function parse(argv: string[]) {
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
function codeCacheState(): CodeCacheState | undefined {
  return (globalThis as { __mcpStripeCodeCache?: CodeCacheState }).__mcpStripeCodeCache;
}

async function main(): Promise<void> {
  const { values, positionals } = parse(process.argv.slice(2));
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const [command, ...rest] = positionals;
  const isAudit = command === 'audit' && rest.length === 1 && (rest[0] === 'tail' || rest[0] === 'export');
  const isSync = command === 'events' && rest.length === 1 && rest[0] === 'sync';
  if (!isAudit && !isSync && (rest.length > 0 || (command !== undefined && command !== 'sandbox'))) {
    // Never echo a key: `mcp-stripe sk_test_…` (without --api-key=) is a common slip.
    const said = redactSecrets(positionals.join(' '));
    const hint =
      said !== positionals.join(' ') ? ' To pass a key, use --api-key=… or STRIPE_SECRET_KEY.' : '';
    fail([`unknown command "${said}" (commands: sandbox, audit tail, audit export, events sync).${hint}`]);
  }

  const flags: Flags = {
    apiKey: values['api-key'],
    sandbox: values.sandbox,
    transport: values.transport,
    host: values.host,
    port: values.port,
    tools: values.tools,
    stripeAccount: values['stripe-account'],
    config: values.config,
    logLevel: values['log-level'],
    deny: values.deny,
    readOnly: values['read-only'],
    maxAmount: values['max-amount'],
    dailyLimit: values['daily-limit'],
    confirm: values.confirm,
    confirmAbove: values['confirm-above'],
    allowLive: values['allow-live'],
    redact: values.redact,
    dataDir: values['data-dir'],
    webhookPort: values['webhook-port'],
    syncOnStart: values['sync-on-start'],
  };

  if (command === 'sandbox') return runSandbox(flags);
  if (isSync) return runSync(flags, values.since);
  if (isAudit) return runAudit(rest[0] as 'tail' | 'export', flags, values.since, values.n);

  let config: Config;
  try {
    config = loadConfig({ flags, env: process.env, defaultApiVersion: PINNED_API_VERSION });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.problems);
    throw err;
  }
  const logger = createLogger(config.logLevel);
  let runtime: Runtime;
  try {
    runtime = await createRuntime(config, logger);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.problems);
    throw err;
  }
  logger.info('starting', {
    version: VERSION,
    transport: config.transport,
    mode: runtime.mode,
    key: runtime.mode === 'sandbox' ? undefined : maskKey(config.apiKey),
    api_version: config.apiVersion,
    tools: runtime.tools.length,
    code_cache: codeCacheState(),
    ...(config.stripeAccount ? { stripe_account: config.stripeAccount } : {}),
  });

  const listen = async (opts: Parameters<typeof StartHttp>[0]): Promise<RunningHttp> => {
    try {
      // The HTTP stack loads only when something listens.
      const { startHttp } = await import('./transports/http.js');
      return await startHttp(opts);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        fail([
          `port ${opts.port} on ${opts.host} is already in use: pass another port (0 picks any free one).`,
        ]);
      }
      throw err;
    }
  };
  const closers: (() => Promise<void>)[] = [];
  if (config.transport === 'http') {
    const http = await listen({
      factory: runtime.factory,
      webhooks: runtime.webhooks,
      logger,
      mode: runtime.mode,
      host: config.host,
      port: config.port,
      approvals: runtime.approvals,
    });
    closers.push(() => http.close());
    await runtime.connectSandboxWebhooks(new URL(http.url).origin);
    process.stderr.write(banner(http.url, runtime.mode));
  } else {
    // A loopback listener for webhooks (for `stripe listen --forward-to`), and always with the sandbox.
    if (config.webhooks.port !== undefined || runtime.sandbox) {
      const hooks = await listen({
        webhooks: runtime.webhooks,
        logger,
        mode: runtime.mode,
        host: '127.0.0.1',
        port: config.webhooks.port ?? 0,
      });
      closers.push(() => hooks.close());
      await runtime.connectSandboxWebhooks(new URL(hooks.url).origin);
      logger.info('webhook listener', { url: hooks.url.replace(/\/mcp$/, '/webhooks/stripe') });
    }
    if (!runtime.sandbox && config.webhooks.port === undefined && !config.webhooks.syncOnStart) {
      runtime.events.noSource = NO_EVENT_SOURCE;
      logger.warn(`no webhook source over stdio: ${NO_EVENT_SOURCE}`);
    }
    const stdio = startStdio(runtime.factory, logger);
    closers.push(() => stdio.close());
    process.stdin.once('close', () => void shutdown('stdin closed'));
  }
  const closeTransport = () => closeAll([...closers].reverse());
  if (config.webhooks.syncOnStart) {
    void defaultSyncSince(runtime.events.log)
      .then(async (since) =>
        syncEvents({
          stripe: await runtime.stripe(),
          events: runtime.events.log,
          since,
          onStored: (e) => runtime.events.notify(e),
          onProgress: (r) => logger.info('event sync', { ...r }),
        }),
      )
      .catch((error: unknown) => logger.error('event sync failed', { error }));
  }

  let stopping = false;
  async function shutdown(reason: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { reason });
    await closeAll([closeTransport, () => runtime.close()]).catch((error: unknown) =>
      logger.error('a close failed while stopping', { error }),
    );
    process.exit(0);
  }
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

/** `24h`, `7d`, `30m`, `90s`, or an ISO date. */
function parseSince(since: string, now = Date.now()): Date | undefined {
  const ms = parseDuration(since);
  if (ms !== undefined) return new Date(now - ms);
  const d = new Date(since);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const NO_EVENT_SOURCE =
  'this server receives no Stripe events (stdio, no webhook listener), so the event tools see only what is already in the event log. To get events: run it with --webhook-port=N and STRIPE_WEBHOOK_SECRET (for example behind `stripe listen --forward-to 127.0.0.1:N/webhooks/stripe`), with --sync-on-start, or run `mcp-stripe events sync`.';

async function runAudit(
  which: 'tail' | 'export',
  flags: Flags,
  since: string | undefined,
  n: string | undefined,
): Promise<void> {
  const dataDir = resolve(flags.dataDir ?? process.env.MCP_STRIPE_DATA_DIR ?? join(homedir(), '.mcp-stripe'));
  const path = storePath(dataDir);
  if (!existsSync(path)) {
    fail([
      `no audit log at ${path} yet (the server writes it; pass --data-dir=DIR if it runs with another one). A --sandbox server keeps its audit log in memory: there is nothing to read after it stops.`,
    ]);
  }
  // `audit export | head -1`: the reader leaving is the end of the output, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const store = await openStore({ memory: false, dataDir });
  try {
    if (which === 'export') {
      const from = since === undefined ? undefined : parseSince(since);
      if (since !== undefined && !from)
        fail([`--since must be a duration like 24h, 7d, 30m, or a date (got "${since}").`]);
      for (const r of await store.audit.query({ since: from }))
        process.stdout.write(`${JSON.stringify(r)}\n`);
    } else {
      const limit = n === undefined ? 20 : Number(n);
      if (!Number.isInteger(limit) || limit < 1) fail([`-n must be a positive whole number (got "${n}").`]);
      for (const r of await store.audit.query({ limit })) {
        const who = r.confirmedBy ? ` by ${r.confirmedBy}` : '';
        const err = r.error ? ` ${r.error}` : '';
        process.stdout.write(
          `${r.at} ${r.tool} ${r.decision}${who} ${r.outcome}${err} ${r.durationMs}ms ${r.requestIds.join(',')}\n`,
        );
      }
    }
  } finally {
    await store.close();
  }
}

/** `mcp-stripe events sync [--since 24h]`: fill the event log from Stripe's /v1/events. */
async function runSync(flags: Flags, sinceArg: string | undefined): Promise<void> {
  let config: Config;
  try {
    config = loadConfig({ flags, env: process.env, defaultApiVersion: PINNED_API_VERSION });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.problems);
    throw err;
  }
  if (config.sandbox)
    fail(['events sync reads a real Stripe account (or STRIPE_API_BASE); the --sandbox is fresh each run.']);
  const store = await openStore({ memory: false, dataDir: config.dataDir });
  try {
    const nowS = Math.floor(Date.now() / 1000);
    let since: number;
    if (sinceArg === undefined) since = await defaultSyncSince(store.events, nowS);
    else {
      const d = parseSince(sinceArg);
      if (!d) fail([`--since must be a duration like 24h, 7d, 30m, or a date (got "${sinceArg}").`]);
      since = Math.max(nowS - EVENT_RETENTION_SECONDS, Math.floor(d.getTime() / 1000));
    }
    const stripe = await createStripeClient({
      apiKey: config.apiKey,
      apiVersion: config.apiVersion,
      timeoutMs: config.timeoutMs,
      maxNetworkRetries: config.maxNetworkRetries,
      apiBase: config.apiBase,
      stripeAccount: config.stripeAccount,
    });
    process.stderr.write(`syncing events created since ${new Date(since * 1000).toISOString()}\n`);
    const r = await syncEvents({
      stripe,
      events: store.events,
      since,
      onProgress: (p) =>
        process.stderr.write(`  ${p.seen} events read, ${p.stored} new, ${p.duplicates} already stored\n`),
    });
    process.stdout.write(
      `${JSON.stringify({ seen: r.seen, stored: r.stored, duplicates: r.duplicates, since: r.since })}\n`,
    );
  } catch (err) {
    if (isStripeError(err))
      fail([`Stripe refused the sync: ${formatStripeFailure(describeStripeError(err))}`]);
    throw err;
  } finally {
    await store.close();
  }
}

async function runSandbox(flags: Flags): Promise<void> {
  const port = flags.port === undefined ? 12111 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail([`--port must be a whole number from 0 to 65535 (got "${flags.port}").`]);
  const host = flags.host ?? '127.0.0.1';
  let sandbox;
  try {
    const { startSandbox } = await import('./sandbox/index.js');
    sandbox = await startSandbox({ host, port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      fail([`port ${port} is already in use: pass --port=N.`]);
    throw err;
  }
  process.stderr.write(
    `Stripe sandbox listening on ${sandbox.url}\n` +
      `Point any Stripe SDK at it, e.g. STRIPE_API_BASE=${sandbox.url} with any key like sk_test_123456789.\n`,
  );
  const stop = () => void sandbox.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** This executable's own path (dist/cli.cjs), for snippets that work before the package is published. */
function selfPath(): string {
  return resolve(process.argv[1] ?? 'dist/cli.cjs');
}

function banner(url: string, mode: string): string {
  const json = (v: unknown) => JSON.stringify(v, null, 2).replace(/^/gm, '    ');
  return [
    '',
    `  mcp-stripe is running (${mode === 'sandbox' ? 'on the built-in Stripe sandbox: no real money, no key needed' : `${mode} mode`}).`,
    `  MCP endpoint (Streamable HTTP): ${url}`,
    '',
    '  Claude Code:',
    `    claude mcp add --transport http stripe ${url}`,
    '',
    '  Cursor (~/.cursor/mcp.json):',
    json({ mcpServers: { stripe: { url } } }),
    '',
    '  VS Code (.vscode/mcp.json):',
    json({ servers: { stripe: { type: 'http', url } } }),
    '',
    '  Claude Desktop (claude_desktop_config.json; runs its own copy over stdio, from this checkout):',
    json({ mcpServers: { stripe: { command: 'node', args: [selfPath(), '--sandbox'] } } }),
    '',
    '  Press Ctrl+C to stop.',
    '',
    '',
  ].join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${PRODUCT_NAME}: fatal: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
