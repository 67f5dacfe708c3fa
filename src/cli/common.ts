import { parseArgs } from 'node:util';
import type { CodeCacheState } from '../boot.js';
import { ConfigError } from '../config/errors.js';
import { loadConfig, readConfigFileOf, type Flags } from '../config/load.js';
import {
  parseArgsOptions,
  readOptions,
  type OptionKey,
  type OptionValue,
  type Values,
} from '../config/options.js';
import { renderOptionsHelp } from '../config/render.js';
import type { Config } from '../config/schema.js';
import { PINNED_API_VERSION } from '../stripe/client.js';
import { parseDuration } from '../util/duration.js';
import { PRODUCT_NAME, VERSION } from '../version.js';

/** `--help`: the commands, then every option from the option table (config/options.ts). */
export function help(): string {
  return `${PRODUCT_NAME} ${VERSION}: a Stripe MCP server for AI agents.

Usage:
  mcp-stripe [options]                 serve MCP over stdio (default) or HTTP
  mcp-stripe console [--port=N]        the operator console (approvals, audit, events) for the
                                       servers on this data directory; --print-link: a sign-in link
  mcp-stripe sandbox [--port=N]        run only the Stripe sandbox (a Stripe-compatible API)
  mcp-stripe audit tail [-n N]         the latest audited tool calls
  mcp-stripe audit export [--since=24h] every audited call since then, as JSON lines
  mcp-stripe events sync [--since=24h] fill the event log from Stripe's /v1/events (30 days max)
  mcp-stripe keys create --name=NAME [--scopes=stripe:read,stripe:write] [--tenant=T] [--expires=90d]
                                       an api key for --auth=api-key, printed once (stdout)
  mcp-stripe keys list | keys revoke ID|NAME
  mcp-stripe users add --username=NAME --config=FILE [--email=E] [--groups=a,b] [--admin]
                                       a user of --auth=embedded (password from stdin or a prompt);
                                       --admin: may sign in to the console (stripe:admin)
  mcp-stripe billing sync --plans=FILE [--dry-run]
                                       the plans' products, prices, meter and portal at Stripe
  mcp-stripe gateway --plans=FILE --upstream=URL | --upstream-command=CMD
                                       plans in front of any MCP server (HTTP by default)
  mcp-stripe billing reconcile --plans=FILE
                                       store every subscription's current state (after downtime)
  mcp-stripe migrate [--database-url=URL]
                                       bring the store's schema up to this release (servers do it at start)

A flag wins over its environment variables [in brackets], which win over --config.
LIMIT is minor units for every currency (50000), per currency (usd:50000,eur:40000), or both.
STRIPE_API_VERSION defaults to ${PINNED_API_VERSION}.

${renderOptionsHelp()}

  --help, --version

Docs: docs/configuration.md, docs/tools.md, docs/security.md, docs/webhooks.md`;
}

/** Flags of the subcommands and the CLI itself; everything else comes from the option table. */
const COMMAND_FLAGS = {
  since: { type: 'string' },
  'print-link': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  name: { type: 'string' },
  scopes: { type: 'string' },
  tenant: { type: 'string' },
  expires: { type: 'string' },
  username: { type: 'string' },
  email: { type: 'string' },
  groups: { type: 'string' },
  admin: { type: 'boolean' },
  n: { type: 'string', short: 'n' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

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
      options: { ...parseArgsOptions(), ...COMMAND_FLAGS },
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

/**
 * Some options on their own, for a subcommand that needs only those (from the same table, flags,
 * environment and --config as the server); every problem reported at once, then exit 1.
 */
export function optionsOrFail<K extends OptionKey>(
  flags: Flags,
  keys: readonly K[],
  opts: { env?: NodeJS.ProcessEnv; defaults?: Partial<{ [P in K]: OptionValue<P> }> } = {},
): Pick<Values, K> {
  try {
    const file = readConfigFileOf(flags);
    const env = opts.env ?? process.env;
    const { values, problems } = readOptions(
      { flags, env, file, filePath: flags.config },
      keys,
      opts.defaults,
    );
    if (problems.length) fail(problems);
    return values;
  } catch (err) {
    if (err instanceof ConfigError) fail(err.problems);
    throw err;
  }
}
