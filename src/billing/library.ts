// `mcp-stripe/billing`: charging for the tools of a server built on the official MCP SDK, with the same
// engine as `mcp-stripe gateway` (plans file, Checkout and Portal links, webhook-synced entitlements,
// quotas, metering through an outbox). The public types name only the MCP SDK's own.
//
//   const billing = await createBilling({ plans: './plans.json', publicUrl: 'https://tools.example.com' });
//   billing.paidTool(server, 'search', { inputSchema }, { plans: ['pro'], units: 5 }, handler);
//   // or: billing.wrap(server), then register tools as usual (the plans file's `tools` decide).
//   // and route POST /webhooks/stripe and GET /billing/* to billing.fetch.
import type {
  CallToolResult,
  McpServer,
  RegisteredTool,
  ServerContext,
  StandardSchemaWithJSON,
  ToolAnnotations,
  ToolCallback,
} from '@modelcontextprotocol/server';
import { Hono } from 'hono';
import type { Caller } from '../auth/caller.js';
import { parsePlans, loadPlansFile } from '../config/plans.js';
import { createLogger, silentLogger } from '../log.js';
import { createMemoryStore } from '../storage/memory/index.js';
import type { Store } from '../storage/ports.js';
import { lazyStripeClient, PINNED_API_VERSION } from '../stripe/client.js';
import { planTools } from '../tools/toolsets/plans.js';
import { receiveWebhook, type WebhookDeps } from '../webhooks/receiver.js';
import { BillingEngine } from './engine.js';
import { errorResult, runBillingTool, runPaid } from './paid-call.js';
import { Plans } from './plans.js';
import { mountBilling } from './routes.js';
import { syncPlans } from './sync.js';

export interface BillingLibraryOptions {
  /** The plans: a plans file's path, or its contents (see docs/billing.md). Validated; errors name the field. */
  plans: string | Record<string, unknown>;
  /** This server's public origin (`https://tools.example.com`): upgrade and portal links point at its `/billing` pages. */
  publicUrl: string;
  /** A Stripe secret or (better) restricted key. Default: `STRIPE_SECRET_KEY`. */
  stripeSecretKey?: string;
  /** Stripe's API origin, for the sandbox (`mcp-stripe sandbox`). Default: `STRIPE_API_BASE`, else Stripe. */
  stripeApiBase?: string;
  /** The signing secret(s) of the webhook endpoint that points at `/webhooks/stripe`. Default: `STRIPE_WEBHOOK_SECRET`. */
  webhookSecret?: string | string[];
  /** Where who-has-paid, quotas and the metering outbox are kept: a SQLite file, or `:memory:` (tests). Default `mcp-stripe-billing.db`. */
  database?: string;
  /**
   * Who pays for a call. Default: the access token's subject (`authInfo.extra.sub`), else its client id;
   * a call without a token is `localUser`'s.
   */
  identify?: (ctx: ServerContext) => string | undefined;
  /** Who pays when a call carries no identity (a stdio server has one user). */
  localUser?: string;
  /** Creates or updates the Products, Prices, meter and portal configuration at start (as `mcp-stripe billing sync`). */
  syncOnStart?: boolean;
  /** Logs go to stderr as JSON lines. Default `warn`. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

export interface PaidToolOptions {
  /** The plans whose subscribers may call the tool (keys of the plans file's `plans`). */
  plans: string[];
  /** Quota units one call uses (default 1). */
  units?: number;
}

export interface ToolConfig<In extends StandardSchemaWithJSON | undefined> {
  title?: string;
  description?: string;
  inputSchema?: In;
  outputSchema?: StandardSchemaWithJSON;
  annotations?: ToolAnnotations;
  _meta?: Record<string, unknown>;
}

/** What `billing_status` says about one user. */
export interface UserBillingStatus {
  user: string;
  plan: string | null;
  status: string;
  note?: string;
  renews_at: string | null;
  trial_ends_at: string | null;
  cancel_at_period_end: boolean;
  quotas: { quota: string; used: number; limit: number; resets_at: string }[];
}

export interface Billing {
  /** Registers a tool on `server` sold on `sale.plans`: the paywall and quotas run before `handler`. */
  paidTool<In extends StandardSchemaWithJSON | undefined = undefined>(
    server: McpServer,
    name: string,
    config: ToolConfig<In>,
    sale: PaidToolOptions,
    handler: ToolCallback<In>,
  ): RegisteredTool;
  /**
   * Puts every tool registered on `server` from now on behind the plans file's `tools` rules, and adds
   * the paying user's tools (billing_status, upgrade_plan, manage_billing). Returns `server`.
   */
  wrap(server: McpServer): McpServer;
  /** Registers billing_status, upgrade_plan and manage_billing on `server` (wrap does this itself). */
  registerBillingTools(server: McpServer): void;
  /** Serves `POST /webhooks/stripe` and the `/billing/*` pages; anything else is a 404. */
  fetch(request: Request): Promise<Response>;
  /** What `billing_status` would say to `user`. */
  status(user: string): Promise<UserBillingStatus>;
  /** `billing sync`: what it changed (or would, with `dryRun`). */
  sync(options?: { dryRun?: boolean }): Promise<{ action: string; what: string; detail: string }[]>;
  /** Stops metering (reporting what it can first) and closes the store. */
  close(): Promise<void>;
}

/** The default identity: the token's subject, else its client id. */
function tokenIdentity(ctx: ServerContext | undefined): string | undefined {
  const auth = ctx?.http?.authInfo;
  if (!auth) return undefined;
  const sub = auth.extra?.sub;
  return typeof sub === 'string' && sub ? sub : auth.clientId || undefined;
}

type Register = (name: string, config: unknown, cb: unknown) => RegisteredTool;
/** A wrapped server keeps the SDK's own registerTool here. */
const WRAPPED = Symbol.for('mcp-stripe.billing.wrapped');
type Wrapped = McpServer & { [WRAPPED]?: Register };

export async function createBilling(options: BillingLibraryOptions): Promise<Billing> {
  const loaded =
    typeof options.plans === 'string'
      ? loadPlansFile(options.plans)
      : parsePlans(options.plans, 'createBilling({ plans })');
  if ('problems' in loaded) throw new Error(`The plans are not valid:\n${loaded.problems.join('\n')}`);
  const origin = new URL(options.publicUrl).origin;
  const apiKey = options.stripeSecretKey ?? process.env.STRIPE_SECRET_KEY;
  if (!apiKey)
    throw new Error('createBilling needs a Stripe key: pass stripeSecretKey or set STRIPE_SECRET_KEY.');
  const mode = /^(sk|rk)_live_/.test(apiKey) ? 'live' : 'test';
  const apiBase = options.stripeApiBase ?? process.env.STRIPE_API_BASE;
  const logger = options.logLevel === 'silent' ? silentLogger : createLogger(options.logLevel ?? 'warn');
  const database = options.database ?? 'mcp-stripe-billing.db';
  const store: Store =
    database === ':memory:'
      ? createMemoryStore()
      : (await import('../storage/sqlite/index.js')).createSqliteStore(database);
  const stripe = lazyStripeClient({
    apiKey,
    apiVersion: PINNED_API_VERSION,
    timeoutMs: 20_000,
    maxNetworkRetries: 2,
    ...(apiBase ? { apiBase } : {}),
  });
  const plans = new Plans(loaded.plans);
  const engine = new BillingEngine({
    plans,
    store: store.billing,
    settings: store.operators,
    stripe,
    mode,
    ...(options.localUser ? { localUser: options.localUser } : {}),
    logger,
  });
  await engine.bind(origin);
  if (options.syncOnStart) await syncPlans(await stripe(), plans, { dryRun: false });
  engine.metering.start();

  const secrets = options.webhookSecret ?? process.env.STRIPE_WEBHOOK_SECRET ?? [];
  const webhooks: WebhookDeps = {
    secrets: typeof secrets === 'string' ? [secrets] : [...secrets],
    toleranceSeconds: 300,
    events: store.events,
    logger,
    onStored: (e) => void engine.projector.apply(e),
  };
  const app = new Hono();
  app.post('/webhooks/stripe', async (c) => {
    if (webhooks.secrets.length === 0)
      return c.json({ error: 'webhooks are not configured (pass webhookSecret)' }, 503);
    const raw = Buffer.from(await c.req.arrayBuffer());
    const answer = await receiveWebhook(raw, c.req.header('stripe-signature'), webhooks);
    return c.json(answer.body, answer.status as 200);
  });
  mountBilling(app, engine, logger);

  const callerOf = (ctx: ServerContext | undefined): Caller | undefined => {
    const id = (ctx && options.identify?.(ctx)) ?? tokenIdentity(ctx);
    if (id) return { id, kind: 'oauth', scopes: new Set() };
    return options.localUser ? { id: 'stdio', kind: 'local', scopes: new Set() } : undefined;
  };
  const anonymous = (tool: string) =>
    errorResult(
      `${tool} is a paid tool, and this call carries no identity to bill: connect with an access token, or run the server with createBilling({ localUser }).`,
    );

  /** The SDK calls a tool's callback with (args, ctx), or (ctx) when it has no input schema. */
  const gate =
    (tool: string, cb: (...a: unknown[]) => CallToolResult | Promise<CallToolResult>) =>
    (...a: unknown[]): Promise<CallToolResult> => {
      const ctx = a.at(-1) as ServerContext | undefined;
      if (!plans.ruleFor(tool)) return Promise.resolve(cb(...a));
      const caller = callerOf(ctx);
      if (!caller) return Promise.resolve(anonymous(tool));
      return runPaid(engine, tool, caller, logger, async () => cb(...a));
    };
  const described = <C extends { description?: string }>(tool: string, config: C): C => {
    const note = plans.planNote(tool);
    if (!note) return config;
    return { ...config, description: config.description ? `${config.description}\n\n${note}` : note };
  };
  const registerBillingTools = (server: McpServer, register = server.registerTool.bind(server)) => {
    for (const t of planTools)
      (register as Register)(
        t.name,
        { title: t.title, description: t.description, inputSchema: t.input, annotations: t.annotations },
        async (args: Record<string, unknown>, ctx: ServerContext) => {
          const caller = callerOf(ctx);
          return caller ? runBillingTool(engine, caller, t.name, args) : anonymous(t.name);
        },
      );
  };

  return {
    paidTool(server, name, config, sale, handler) {
      plans.sell(name, sale);
      // On a wrapped server, the SDK's own registerTool (the wrapped one would gate it a second time).
      const register = (server as Wrapped)[WRAPPED] ?? (server.registerTool.bind(server) as Register);
      return register(name, described(name, config), gate(name, handler as never));
    },
    wrap(server) {
      const marked = server as Wrapped;
      if (marked[WRAPPED]) return server;
      const register = server.registerTool.bind(server) as Register;
      marked[WRAPPED] = register;
      registerBillingTools(server, register);
      (server as { registerTool: unknown }).registerTool = (
        name: string,
        config: { description?: string },
        cb: (...a: unknown[]) => CallToolResult,
      ) => register(name, described(name, config), gate(name, cb));
      return server;
    },
    registerBillingTools: (server) => registerBillingTools(server),
    fetch: async (request) => app.fetch(request),
    status: (user) => engine.status({ id: user, kind: 'oauth', scopes: new Set() }),
    async sync({ dryRun = false } = {}) {
      return (await syncPlans(await stripe(), plans, { dryRun })).changes;
    },
    async close() {
      await engine.metering.stop();
      await store.close();
    },
  };
}
