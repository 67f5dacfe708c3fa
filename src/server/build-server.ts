import { McpServer } from '@modelcontextprotocol/server';
import type { Logger } from '../log.js';
import type { LazyStripeClient } from '../stripe/client.js';
import type { Tool } from '../tools/define-tool.js';
import { runTool, type RunnerDeps } from '../tools/runner.js';
import { PRODUCT_NAME, VERSION } from '../version.js';
import { callContextFor, type ConfirmationDeps } from './confirmation.js';
import { advertise } from './json-schema.js';
import { registerPrompts } from './prompts.js';
import { registerResources } from './resources.js';

export interface ServerDeps {
  stripe: LazyStripeClient;
  tools: readonly Tool[];
  logger: Logger;
  runner: Omit<RunnerDeps, 'stripe' | 'logger'>;
  /** How a call reaches a human for confirmation: the console's approvals, elicitation, or both. */
  confirmation?: ConfirmationDeps;
  /** Whether the policy refuses a tool whatever the allow list says (`--deny`, `--read-only`, operations). */
  refused?: (tool: Tool) => boolean;
}

const INSTRUCTIONS = [
  "Tools over the Stripe API. Amounts are integers in the currency's minor unit (cents): 1000 = $10.00.",
  'Never send card numbers: use Checkout sessions, Payment Links or pm_… ids (test: pm_card_visa).',
  'Writes are idempotent per call: retrying the same call with the same arguments never charges twice.',
  "Failed calls return isError with Stripe's code and the next action to take.",
].join(' ');

/** The one place an MCP server is put together; every transport calls it. */
export function buildServer(deps: ServerDeps): McpServer {
  const server = new McpServer(
    { name: PRODUCT_NAME, version: VERSION, title: 'Stripe' },
    {
      // The lists are fixed for the life of a server: nothing to be notified of.
      capabilities: {
        tools: { listChanged: false },
        resources: { listChanged: false },
        prompts: { listChanged: false },
      },
      instructions: INSTRUCTIONS,
    },
  );
  const runnerDeps: RunnerDeps = { ...deps.runner, stripe: deps.stripe, logger: deps.logger };
  // Without an event log there is nothing for the event tools to read.
  const tools = deps.runner.events ? deps.tools : deps.tools.filter((t) => t.toolset !== 'events');
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: advertise(tool.input, 'input'),
        outputSchema: advertise(tool.output, 'output'),
        annotations: tool.annotations,
      },
      (args: unknown, ctx) => runTool(tool, args, runnerDeps, callContextFor(ctx, server, deps.confirmation)),
    );
  }
  registerResources(server, runnerDeps, tools, deps.refused);
  registerPrompts(server, new Set(tools.map((t) => t.name)));
  return server;
}
