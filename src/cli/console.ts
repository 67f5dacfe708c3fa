import { stripeOptions } from '../compose.js';
import { describeConfig } from '../config/describe.js';
import { ConfigError } from '../config/errors.js';
import { loadConfig, type Flags } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { ConsoleDeps } from '../console/app.js';
import { SIGN_IN_TTL_MS } from '../console/sign-in.js';
import { createLogger } from '../log.js';
import { stripeHealth } from '../runtime.js';
import { ApprovalService, CONSOLE_URL_KEY } from '../server/approvals.js';
import { openStore } from '../storage/open.js';
import type { Store } from '../storage/ports.js';
import { lazyStripeClient, PINNED_API_VERSION } from '../stripe/client.js';
import { closeAll } from '../util/close-all.js';
import { fail, optionsOrFail } from './common.js';

/** The operator. Local sign-in links name no person; OAuth sign-in (remote servers) will. */
const LOCAL_OPERATOR = 'operator';

/**
 * Records where the console is served (so `--print-link` and URL-mode elicitation in other processes
 * find it) and returns a one-time sign-in link for the operator's terminal.
 */
export async function announceConsole(store: Store, url: string): Promise<string> {
  await store.operators.setValue(CONSOLE_URL_KEY, url);
  return signInLink(store, url);
}

async function signInLink(store: Store, url: string): Promise<string> {
  const token = await store.operators.issueSignIn(LOCAL_OPERATOR, SIGN_IN_TTL_MS, Date.now());
  return `${url}/signin?token=${token}`;
}

/**
 * `mcp-stripe console`: the operator console over the store in the data directory, for a stdio
 * server (or several) using the same one. `--print-link`: a fresh sign-in link for the running one.
 */
export async function runConsole(flags: Flags, printLink: boolean): Promise<void> {
  if (flags.sandbox)
    fail([
      'a --sandbox server keeps its approvals in memory: its console is /console on its own HTTP server (npm start prints the link).',
    ]);
  const { dataDir, databaseUrl, logLevel, approvalTtlSeconds } = optionsOrFail(flags, [
    'dataDir',
    'databaseUrl',
    'logLevel',
    'approvalTtlSeconds',
  ]);
  // The console's own address: flags only (MCP_STRIPE_PORT and PORT are the MCP server's).
  const { host, port } = optionsOrFail({ ...flags, config: undefined }, ['host', 'port'], {
    env: {},
    defaults: { port: 3100 },
  });
  const store = await openStore({ memory: false, dataDir, databaseUrl });
  if (printLink) {
    try {
      const url = await store.operators.getValue(CONSOLE_URL_KEY);
      if (!url) fail([`no console is running for ${dataDir}: start one with \`mcp-stripe console\`.`]);
      process.stdout.write(`${await signInLink(store, url)}\n`);
    } finally {
      await store.close();
    }
    return;
  }

  const logger = createLogger(logLevel);
  // The server's configuration, when it can be read here, for the Settings page and the health of Stripe.
  let settings: Record<string, unknown>;
  let health: ConsoleDeps['stripeHealth'] = () =>
    Promise.resolve({ ok: false, detail: 'no Stripe key configured for the console' });
  let config: Config | undefined;
  try {
    config = loadConfig({ flags, env: process.env, defaultApiVersion: PINNED_API_VERSION });
    settings = describeConfig(config);
    health = stripeHealth(lazyStripeClient(stripeOptions(config)));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    settings = {
      dataDir,
      note: `the server's configuration could not be read here: ${err.problems.join(' ')}`,
    };
  }
  const mode = config?.keyMode ?? 'test';
  const approvals = new ApprovalService({
    store: store.approvals,
    // The console only lists and decides: it never opens an approval, nor waits for one.
    ttlMs: approvalTtlSeconds * 1000,
    waitMs: 0,
    logger,
  });
  const { startHttp } = await import('../transports/http.js');
  let http;
  try {
    http = await startHttp({
      logger,
      mode,
      host,
      port,
      console: {
        store,
        approvals,
        mode,
        stripeAccount: config?.stripeAccount,
        dailyLimit: config?.security.dailyLimit,
        settings,
        stripeHealth: health,
        webhookSecrets: () => config?.webhooks.secrets.length ?? 0,
        apiKeys: store.apiKeys,
        oauth: store.oauth,
        authModes: config?.remote.auth ?? [],
        logger,
      },
    });
  } catch (err) {
    await store.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      fail([`port ${port} on ${host} is already in use: pass --port=N (0 picks any free one).`]);
    throw err;
  }
  const url = `${new URL(http.url).origin}/console`;
  const link = await announceConsole(store, url);
  process.stderr.write(
    `\n  mcp-stripe console for ${dataDir}\n  Sign in (one-time link, valid 15 min): ${link}\n  A fresh link: mcp-stripe console --print-link\n\n`,
  );
  const stop = () =>
    void closeAll([
      () => store.operators.setValue(CONSOLE_URL_KEY, ''),
      () => http.close(),
      () => store.close(),
    ]).finally(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
