import type { Flags } from '../config/load.js';
import { fail, loadConfigOrFail } from './common.js';
import { serve } from './serve.js';

/**
 * `mcp-stripe gateway --upstream=URL | --upstream-command=CMD --plans=FILE`: plans in front of any MCP
 * server. Over HTTP by default (callers authenticate with --auth); the runtime, store, webhooks,
 * console and /billing pages are the server's own.
 */
export async function runGateway(flags: Flags): Promise<void> {
  const withHttp: Flags = { transport: 'http', ...flags };
  const config = loadConfigOrFail(withHttp);
  const up = config.billing.upstream;
  const problems: string[] = [];
  if (!config.billing.plans)
    problems.push(
      'gateway needs --plans=FILE (or MCP_STRIPE_PLANS): the plans to put in front of the upstream.',
    );
  if (!up)
    problems.push(
      'gateway needs --upstream=URL (a Streamable HTTP MCP endpoint) or --upstream-command="CMD" (a server over stdio).',
    );
  else if (up.url && up.command) problems.push('gateway takes --upstream or --upstream-command, not both.');
  if (problems.length) fail(problems);
  const { Upstream, gatewayFactory } = await import('../billing/gateway.js');
  let upstream: InstanceType<typeof Upstream> | undefined;
  await serve(withHttp, {
    describe: `mcp-stripe gateway in front of ${up!.url ?? `"${up!.command}"`}`,
    make: (runtime, logger) => {
      upstream = new Upstream(up!, logger);
      return {
        factory: gatewayFactory({
          upstream,
          billing: runtime.billing!,
          audit: runtime.store.audit,
          ...(runtime.metrics ? { observer: runtime.metrics } : {}),
          logger,
        }),
        close: async () => upstream?.close(),
      };
    },
  });
}
