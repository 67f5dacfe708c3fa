import { resolve } from 'node:path';
import { localCaller } from '../auth/caller.js';
import { ConfigError } from '../config/errors.js';
import { maskKey } from '../config/keys.js';
import type { Flags } from '../config/load.js';
import { createLogger, type Logger } from '../log.js';
import { createRuntime, type Runtime } from '../runtime.js';
import type { ServerFactory } from '../server/build-server.js';
import type { RunningHttp, startHttp as StartHttp } from '../transports/http.js';
import { startStdio } from '../transports/stdio.js';
import { closeAll } from '../util/close-all.js';
import { VERSION } from '../version.js';
import { defaultSyncSince, syncEvents } from '../webhooks/sync.js';
import { codeCacheState, fail, loadConfigOrFail } from './common.js';
import { announceConsole } from './console.js';

const NO_EVENT_SOURCE =
  'this server receives no Stripe events (stdio, no webhook listener), so the event tools see only what is already in the event log. To get events: run it with --webhook-port=N and STRIPE_WEBHOOK_SECRET (for example behind `stripe listen --forward-to 127.0.0.1:N/webhooks/stripe`), with --sync-on-start, or run `mcp-stripe events sync`.';

/** What serves MCP in place of mcp-stripe's own tools (the gateway), over the same runtime. */
export interface FrontEnd {
  /** For the banner: "mcp-stripe gateway in front of …". */
  describe: string;
  make(runtime: Runtime, logger: Logger): { factory: ServerFactory; close(): Promise<void> };
}

/** `mcp-stripe [options]`: the MCP server, over stdio or HTTP, until a signal or stdin closes. */
export async function serve(flags: Flags, front?: FrontEnd): Promise<void> {
  const config = loadConfigOrFail(flags);
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

  const served = front?.make(runtime, logger) ?? { factory: runtime.factory, close: () => Promise.resolve() };
  const listen = async (opts: Parameters<typeof StartHttp>[0]): Promise<RunningHttp> => {
    try {
      // The HTTP stack loads only when something listens.
      const { startHttp } = await import('../transports/http.js');
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
      factory: served.factory,
      webhooks: runtime.webhooks,
      logger,
      mode: runtime.mode,
      host: config.host,
      port: config.port,
      console: runtime.console,
      remote: runtime.remote,
      readiness: () => runtime.readiness(),
      ...(runtime.metrics ? { metrics: runtime.metrics } : {}),
      ...(runtime.billing ? { billing: runtime.billing } : {}),
    });
    closers.push(() => http.close());
    const origin = new URL(http.url).origin;
    await runtime.connectSandboxWebhooks(origin);
    // The console's sign-in link goes to this terminal only (the operator's), never over MCP.
    const signIn = await announceConsole(runtime.store, `${origin}/console`);
    process.stderr.write(
      banner(http.url, runtime.mode, signIn, config.remote.auth, http.signInHint, front?.describe),
    );
  } else {
    // A loopback listener for webhooks (for `stripe listen --forward-to`), always with the sandbox, and
    // with --plans (its upgrade links lead to its /billing pages).
    if (config.webhooks.port !== undefined || runtime.sandbox || runtime.billing) {
      const hooks = await listen({
        webhooks: runtime.webhooks,
        ...(runtime.billing ? { billing: runtime.billing } : {}),
        ...(runtime.metrics ? { metrics: runtime.metrics } : {}),
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
    const stdio = startStdio(() => served.factory(localCaller('stdio')), logger);
    closers.push(() => stdio.close());
    process.stdin.once('close', () => void shutdown('stdin closed'));
  }
  closers.unshift(() => served.close());
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

/** This executable's own path (dist/cli.cjs), for snippets that work before the package is published. */
function selfPath(): string {
  return resolve(process.argv[1] ?? 'dist/cli.cjs');
}

function banner(
  url: string,
  mode: string,
  signIn: string,
  auth: readonly string[],
  hint?: string,
  front?: string,
): string {
  const json = (v: unknown) => JSON.stringify(v, null, 2).replace(/^/gm, '    ');
  const who =
    auth.length === 0
      ? 'no authentication: every caller on this machine is trusted'
      : `callers authenticate with ${auth.join(', ')} (docs/remote.md)${auth.includes('api-key') ? '; create a key with: mcp-stripe keys create --name=NAME' : ''}`;
  return [
    '',
    `  ${front ?? 'mcp-stripe'} is running (${mode === 'sandbox' ? 'on the built-in Stripe sandbox: no real money, no key needed' : `${mode} mode`}).`,
    `  MCP endpoint (Streamable HTTP): ${url}`,
    `  Access: ${who}`,
    ...(hint ? [`  OAuth: ${hint}`] : []),
    `  Operator console (approvals, audit, events): open this one-time sign-in link`,
    `    ${signIn}`,
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
