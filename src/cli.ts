#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError } from './config/errors.js';
import { loadConfig, type Flags } from './config/load.js';
import { maskKey } from './config/keys.js';
import { createLogger } from './log.js';
import { createRuntime, type Runtime } from './runtime.js';
import type { Config } from './config/schema.js';
import { startSandbox } from './sandbox/index.js';
import { PINNED_API_VERSION } from './stripe/client.js';
import { startHttp, type RunningHttp } from './transports/http.js';
import { startStdio } from './transports/stdio.js';
import { PRODUCT_NAME, VERSION } from './version.js';

const HELP = `${PRODUCT_NAME} ${VERSION}: a Stripe MCP server for AI agents.

Usage:
  mcp-stripe [options]                 serve MCP over stdio (default) or HTTP
  mcp-stripe sandbox [--port=N]        run only the Stripe sandbox (a Stripe-compatible API)

Options (a flag wins over its environment variable, which wins over --config):
  --api-key=KEY          Stripe secret (sk_…) or restricted (rk_…) key   STRIPE_SECRET_KEY, STRIPE_API_KEY
  --sandbox              use the built-in Stripe sandbox: no key, no account, offline
  --transport=stdio|http default stdio                                    MCP_STRIPE_TRANSPORT
  --host=HOST            HTTP listen address, loopback only (127.0.0.1)  MCP_STRIPE_HOST
  --port=N               HTTP port (default 3000)                        MCP_STRIPE_PORT
  --tools=all|a,b,…      tools to expose (default all)                   STRIPE_TOOLS
  --stripe-account=ID    Connect: act for acct_… (Stripe-Account header) STRIPE_ACCOUNT
  --config=FILE          JSON config with api / security / defaults / server sections
  --log-level=LEVEL      debug, info, warn or error (logs go to stderr)  MCP_STRIPE_LOG_LEVEL
  --help, --version

Environment only:
  STRIPE_API_VERSION (default ${PINNED_API_VERSION}), STRIPE_REQUEST_TIMEOUT (ms, default 30000),
  STRIPE_MAX_NETWORK_RETRIES (default 2), STRIPE_CURRENCY (default currency for tools),
  STRIPE_IDEMPOTENCY_ENABLED (default true), STRIPE_API_BASE (origin of a Stripe-compatible API).

Docs: docs/configuration.md, docs/tools.md, docs/security.md`;

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
  if (rest.length > 0 || (command !== undefined && command !== 'sandbox')) {
    fail([`unknown command "${positionals.join(' ')}" (commands: sandbox).`]);
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
  };

  if (command === 'sandbox') return runSandbox(flags);

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
    ...(config.stripeAccount ? { stripe_account: config.stripeAccount } : {}),
  });

  let closeTransport: () => Promise<void>;
  if (config.transport === 'http') {
    let http: RunningHttp;
    try {
      http = await startHttp({
        factory: runtime.factory,
        logger,
        mode: runtime.mode,
        host: config.host,
        port: config.port,
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE')
        fail([
          `port ${config.port} on ${config.host} is already in use: pass --port=N (or --port=0 for any free port).`,
        ]);
      throw err;
    }
    closeTransport = () => http.close();
    process.stderr.write(banner(http.url, runtime.mode));
  } else {
    const stdio = startStdio(runtime.factory, logger);
    closeTransport = () => stdio.close();
    process.stdin.once('close', () => void shutdown('stdin closed'));
  }

  let stopping = false;
  async function shutdown(reason: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { reason });
    await closeTransport().catch(() => {});
    await runtime.close();
    process.exit(0);
  }
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

async function runSandbox(flags: Flags): Promise<void> {
  const port = flags.port === undefined ? 12111 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail([`--port must be a whole number from 0 to 65535 (got "${flags.port}").`]);
  const host = flags.host ?? '127.0.0.1';
  let sandbox;
  try {
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
    '  Claude Desktop (claude_desktop_config.json; runs its own copy over stdio):',
    json({ mcpServers: { stripe: { command: 'npx', args: ['-y', 'mcp-stripe', '--sandbox'] } } }),
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
