import {
  McpServer,
  type ScopeChallenge,
  type ScopeChallengeHandler,
  type Server,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import { scopeFor, type Caller, type Scope } from '../auth/caller.js';
import type { Logger } from '../log.js';
import { refusal } from '../policy/refusal.js';
import type { LazyStripeClient } from '../stripe/client.js';
import type { Tool } from '../tools/define-tool.js';
import { runTool, type RunnerDeps } from '../tools/runner.js';
import { PRODUCT_NAME, VERSION } from '../version.js';
import { callContextFor, type ConfirmationDeps } from './confirmation.js';
import { advertise } from './json-schema.js';
import { registerPrompts } from './prompts.js';
import { registerResources } from './resources.js';

/** Builds a fresh MCP server for one caller (transports call it per connection or request). */
/** A fresh MCP server for one caller: mcp-stripe's own (McpServer), or the gateway's proxy (the low-level Server). */
export type ServerFactory = (caller: Caller) => McpServer | Server;

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

/**
 * The one place an MCP server is put together; every transport calls it, per connection or request,
 * for the caller it authenticated. The caller sees the tools the policy selects and its scopes allow
 * (the intersection): a token with `stripe:read` only lists no write tools.
 */
export function buildServer(deps: ServerDeps, caller: Caller): McpServer {
  const server = newServer();
  const runnerDeps = runnerDepsOf(deps);
  // Without an event log there is nothing for the event tools to read.
  const selected = deps.runner.events ? deps.tools : deps.tools.filter((t) => t.toolset !== 'events');
  const tools = selected.filter((t) => caller.scopes.has(scopeFor(t.access)));
  for (const tool of tools) {
    server.registerTool(tool.name, registration(tool, caller, tool.input), (args: unknown, ctx) =>
      runTool(tool, args, runnerDeps, callContextFor(ctx, server, caller, deps.confirmation)),
    );
  }
  registerResources(server, runnerDeps, tools, deps.refused ?? (() => false), caller);
  registerPrompts(server, new Set(tools.map((t) => t.name)));
  return server;
}

const runnerDepsOf = (deps: ServerDeps): RunnerDeps => ({
  ...deps.runner,
  stripe: deps.stripe,
  logger: deps.logger,
});

/**
 * What `tools/list` shows of a tool (with `input` as advertised), and, for an authenticated caller, the
 * SDK's per-tool scope challenge over the call's arguments (`toolArgs` takes out what the server adds).
 */
function registration(
  tool: Tool,
  caller: Caller,
  input: z.ZodObject,
  toolArgs: (raw: Record<string, unknown>) => unknown = (raw) => raw,
) {
  return {
    title: tool.title,
    description: tool.description,
    inputSchema: advertise(input, 'input'),
    outputSchema: advertise(tool.output, 'output'),
    annotations: tool.annotations,
    ...(caller.kind === 'local'
      ? {}
      : {
          scopeChallenge: (({ request }) =>
            scopeChallengeFor(
              tool,
              caller,
              toolArgs((request.params?.arguments ?? {}) as Record<string, unknown>),
            )) satisfies ScopeChallengeHandler,
        }),
  };
}

function newServer(): McpServer {
  return new McpServer(
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
}

/** One tenant a caller may act for, and the server parts that act for it. */
export interface TenantChoice {
  id: string;
  deps: ServerDeps;
}

/** The `account` argument's schemas, per tool and set of choices (built once, not per request). */
const withAccount = new Map<string, z.ZodObject>();

/**
 * For a caller in several tenants: every tool the caller's tenants all allow, each with an `account`
 * argument naming the tenant to act for (it appears for such callers only). A call runs with that
 * tenant's Stripe account, policy, limits and audit trail.
 */
export function buildTenantServer(choices: readonly TenantChoice[], caller: Caller): McpServer {
  const server = newServer();
  const ids = choices.map((c) => c.id);
  const inEvery = (name: string) => choices.every((c) => c.deps.tools.some((t) => t.name === name));
  const tools = choices[0]!.deps.tools.filter(
    (t) => inEvery(t.name) && caller.scopes.has(scopeFor(t.access)),
  );
  for (const tool of tools) {
    const key = `${tool.name}\n${ids.join(',')}`;
    let input = withAccount.get(key);
    if (!input) {
      input = tool.input.extend({
        account: z
          .enum(ids as [string, ...string[]])
          .describe(`The Stripe account to act on: one of ${ids.join(', ')} (your tenants).`),
      });
      withAccount.set(key, input);
    }
    server.registerTool(
      tool.name,
      registration(tool, caller, input, ({ account: _account, ...args }) => args),
      (raw: unknown, ctx) => {
        const { account, ...args } = (raw ?? {}) as Record<string, unknown>;
        const choice = choices.find((c) => c.id === account);
        const deps = choice?.deps ?? choices[0]!.deps;
        const runnerDeps = runnerDepsOf(deps);
        const call = callContextFor(ctx, server, caller, deps.confirmation);
        if (choice) return runTool(tool, args, runnerDeps, call);
        const why = refusal(
          'invalid_arguments',
          `Invalid arguments for ${tool.name}: "account" must name the Stripe account to act on: one of ${ids.join(', ')}${account === undefined ? '' : ` (got ${JSON.stringify(account).slice(0, 64)})`}. Nothing was sent to Stripe.`,
          { param: 'account', choices: ids },
        );
        return runTool(tool, args, { ...runnerDeps, tenant: undefined }, { ...call, refused: why });
      },
    );
  }
  registerPrompts(server, new Set(tools.map((t) => t.name)));
  return server;
}

/**
 * The scope challenge for one call: a call that needs a scope the OAuth token lacks (the generic write
 * tool reaching a money-moving endpoint with `stripe:write` only) is answered `403 insufficient_scope`,
 * naming every scope to ask for, so the client can re-authorize (step-up) and retry. The SDK asks it
 * for each listed tool (its per-tool scope challenge); the HTTP edge, for a tool the caller cannot see.
 */
export function scopeChallengeFor(tool: Tool, caller: Caller, args: unknown): ScopeChallenge | undefined {
  const parsed = tool.input.safeParse(args ?? {});
  // Arguments that do not parse are the runner's to refuse (with a message naming the field).
  const effect = parsed.success ? tool.effect?.(parsed.data) : undefined;
  const needed = scopeFor({
    write: tool.access.write,
    moneyMoving: effect?.moneyMoving ?? tool.access.moneyMoving,
  });
  if (caller.scopes.has(needed)) return undefined;
  const scopes = [...new Set<Scope>([...caller.scopes, needed])] as [Scope, ...Scope[]];
  return { scopes, errorDescription: `${tool.name} needs the scope ${needed}` };
}
