import type { McpServer } from '@modelcontextprotocol/server';
import type { Config } from './config/schema.js';
import type { Logger } from './log.js';
import { startSandbox, SANDBOX_API_KEY, type RunningSandbox } from './sandbox/index.js';
import { buildServer, type ServerDeps } from './server/build-server.js';
import { createStripeClient, type StripeClient } from './stripe/client.js';
import type { Tool } from './tools/define-tool.js';
import { selectTools } from './tools/registry.js';

export interface Runtime {
  /** Builds a fresh MCP server over the shared Stripe client (transports call it per connection or request). */
  factory: () => McpServer;
  stripe: StripeClient;
  tools: Tool[];
  mode: 'sandbox' | 'test' | 'live';
  sandbox?: RunningSandbox;
  close(): Promise<void>;
}

/** Config → the running pieces: the sandbox (with --sandbox), the Stripe client and the server factory. */
export async function createRuntime(config: Config, logger: Logger): Promise<Runtime> {
  const tools = selectTools(config.tools);
  const sandbox = config.sandbox ? await startSandbox() : undefined;
  if (sandbox) logger.info('sandbox started', { url: sandbox.url });
  const stripe = createStripeClient({
    apiKey: sandbox ? SANDBOX_API_KEY : config.apiKey,
    apiVersion: config.apiVersion,
    timeoutMs: config.timeoutMs,
    maxNetworkRetries: config.maxNetworkRetries,
    apiBase: sandbox ? sandbox.url : config.apiBase,
    stripeAccount: config.stripeAccount,
  });
  const mode = sandbox ? 'sandbox' : config.keyMode;
  const deps: ServerDeps = {
    stripe,
    tools,
    logger,
    runner: {
      idempotencyEnabled: config.idempotencyEnabled,
      defaultCurrency: config.currency,
      stripeAccount: config.stripeAccount,
      mode,
    },
  };
  return {
    factory: () => buildServer(deps),
    stripe,
    tools,
    mode,
    sandbox,
    close: async () => {
      await sandbox?.close();
    },
  };
}
