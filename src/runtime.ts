import type { McpServer } from '@modelcontextprotocol/server';
import type { Config } from './config/schema.js';
import type { Logger } from './log.js';
import { isPermitted } from './policy/permissions.js';
import type { RunningSandbox } from './sandbox/index.js';
import { ApprovalService } from './server/approvals.js';
import { buildServer, type ServerDeps } from './server/build-server.js';
import { openStore } from './storage/open.js';
import type { Store } from './storage/ports.js';
import { lazyStripeClient, type LazyStripeClient } from './stripe/client.js';
import type { Tool } from './tools/define-tool.js';
import { expandProfiles, selectTools } from './tools/registry.js';
import { closeAll } from './util/close-all.js';
import { EventFeed } from './webhooks/feed.js';
import type { WebhookDeps } from './webhooks/receiver.js';

export interface Runtime {
  /** Builds a fresh MCP server over the shared Stripe client (transports call it per connection or request). */
  factory: () => McpServer;
  stripe: LazyStripeClient;
  tools: Tool[];
  mode: 'sandbox' | 'test' | 'live';
  store: Store;
  approvals: ApprovalService;
  /** The event log with its wake-ups, read by the event tools. */
  events: EventFeed;
  /** What `/webhooks/stripe` needs; `secrets` grows when the sandbox endpoint is registered. */
  webhooks: WebhookDeps;
  sandbox?: RunningSandbox;
  /** With --sandbox: register `<origin>/webhooks/stripe` with the sandbox so it delivers events here. */
  connectSandboxWebhooks(origin: string): Promise<void>;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Use this store instead of the SQLite file in the data directory. */
  store?: Store;
  now?: () => number;
}

export { storePath } from './storage/open.js';

/**
 * Config → the running pieces: the sandbox (with --sandbox), the Stripe client, the durable store
 * (SQLite in the data directory; in memory for the throwaway sandbox), approvals and the server factory.
 */
export async function createRuntime(
  config: Config,
  logger: Logger,
  opts: RuntimeOptions = {},
): Promise<Runtime> {
  const permissions = expandProfiles(config.security.permissions);
  const tools = selectTools(permissions);
  // Loaded only with --sandbox: start-up without it never parses the sandbox.
  const sandboxModule = config.sandbox ? await import('./sandbox/index.js') : undefined;
  const sandbox = sandboxModule ? await sandboxModule.startSandbox() : undefined;
  if (sandbox) logger.info('sandbox started', { url: sandbox.url });
  const store = opts.store ?? (await openStore({ memory: sandbox !== undefined, dataDir: config.dataDir }));
  const stripe = lazyStripeClient({
    apiKey: sandboxModule ? sandboxModule.SANDBOX_API_KEY : config.apiKey,
    apiVersion: config.apiVersion,
    timeoutMs: config.timeoutMs,
    maxNetworkRetries: config.maxNetworkRetries,
    apiBase: sandbox ? sandbox.url : config.apiBase,
    stripeAccount: config.stripeAccount,
  });
  const mode = sandbox ? 'sandbox' : config.keyMode;
  const approvals = new ApprovalService({ ttlMs: config.security.approvalTtlMs, now: opts.now });
  const events = new EventFeed(store.events);
  const webhooks: WebhookDeps = {
    secrets: [...config.webhooks.secrets],
    toleranceSeconds: config.webhooks.toleranceSeconds,
    events: store.events,
    logger,
    onStored: (e) => events.notify(e),
  };
  const s = config.security;
  const deps: ServerDeps = {
    stripe,
    tools,
    logger,
    approvals,
    runner: {
      idempotencyEnabled: config.idempotencyEnabled,
      defaultCurrency: config.currency,
      autoCapture: config.autoCapture,
      callTimeoutMs: config.callTimeoutMs,
      stripeAccount: config.stripeAccount,
      mode,
      policy: {
        maxAmount: s.maxAmount,
        ...(s.dailyLimit ? { dailyLimit: { limit: s.dailyLimit, ledger: store.ledger } } : {}),
        confirm: s.confirm,
        confirmAbove: s.confirmAbove,
        redact: s.redact,
      },
      audit: store.audit,
      events,
      now: opts.now,
      permits: (t) => isPermitted(t, permissions),
    },
    refused: (t) => !isPermitted(t, { ...permissions, allow: 'all' }),
  };
  return {
    factory: () => buildServer(deps),
    stripe,
    tools,
    mode,
    store,
    approvals,
    events,
    webhooks,
    sandbox,
    connectSandboxWebhooks: async (origin) => {
      if (!sandbox) return;
      const endpoint = await (
        await stripe()
      ).webhookEndpoints.create({
        url: `${origin}/webhooks/stripe`,
        enabled_events: ['*'],
      });
      if (endpoint.secret) webhooks.secrets.push(endpoint.secret);
      logger.info('sandbox delivers webhooks', { url: endpoint.url });
    },
    close: async () => {
      await closeAll([() => sandbox?.close(), () => store.close()]);
    },
  };
}
