import type { EdgeAuth } from './auth/gate.js';
import { fingerprint } from './auth/stripe-key.js';
import type { BillingEngine } from './billing/engine.js';
import { composeServer, composeTenant, stripeOptions, type ServerParts } from './compose.js';
import { describeConfig } from './config/describe.js';
import type { Config } from './config/schema.js';
import type { ConsoleDeps } from './console/app.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { RunningSandbox } from './sandbox/index.js';
import { ApprovalService, CONSOLE_URL_KEY } from './server/approvals.js';
import { buildTenantServer, type ServerFactory } from './server/build-server.js';
import { notifier } from './server/notify.js';
import { openStore } from './storage/open.js';
import type { ApiKeyStore, Store } from './storage/ports.js';
import { sharedKey } from './storage/shared-key.js';
import { createStripeClient, lazyStripeClient, type LazyStripeClient } from './stripe/client.js';
import type { Tool } from './tools/define-tool.js';
import type { Readiness } from './transports/http.js';
import type { RemoteHttp } from './transports/http.js';
import { closeAll } from './util/close-all.js';
import type { EventFeed } from './webhooks/feed.js';
import type { WebhookDeps } from './webhooks/receiver.js';

export interface Runtime {
  /** Builds a fresh MCP server for one caller (transports call it per connection or request). */
  factory: ServerFactory;
  /** Who may reach the HTTP server: the public URL, allowed origins, the proxy, authentication. */
  remote: RemoteHttp;
  stripe: LazyStripeClient;
  tools: readonly Tool[];
  mode: 'sandbox' | 'test' | 'live';
  store: Store;
  /** The api keys this server accepts (in the data directory's store, even with --sandbox). */
  apiKeys: ApiKeyStore;
  approvals: ApprovalService;
  /** The event log with its wake-ups, read by the event tools. */
  events: EventFeed;
  /** What `/webhooks/stripe` needs; `secrets` grows when the sandbox endpoint is registered. */
  webhooks: WebhookDeps;
  sandbox?: RunningSandbox;
  /** What the operator console needs (served at /console over HTTP). */
  console: ConsoleDeps;
  /** Plans and quotas, with --plans: its pages are served at /billing over HTTP. */
  billing?: BillingEngine;
  /** With --sandbox: register `<origin>/webhooks/stripe` with the sandbox so it delivers events here. */
  connectSandboxWebhooks(origin: string): Promise<void>;
  /** What `/readyz` reports: the store answers (a query within 2 s), and whether Stripe does. */
  readiness(): Promise<Readiness>;
  /** The `/metrics` counters and gauges, when something listens on HTTP. */
  metrics?: Metrics;
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
  // Loaded only with --sandbox: start-up without it never parses the sandbox.
  const sandboxModule = config.sandbox ? await import('./sandbox/index.js') : undefined;
  const sandbox = sandboxModule ? await sandboxModule.startSandbox({ seed: config.seed }) : undefined;
  if (sandbox) logger.info('sandbox started', { url: sandbox.url, ...seedLog(sandbox.seeded) });
  // With --database-url, Postgres even on the sandbox (several instances share one store).
  const durable = { dataDir: config.dataDir, databaseUrl: config.databaseUrl };
  const store =
    opts.store ?? (await openStore({ memory: sandbox !== undefined && !config.databaseUrl, ...durable }));
  // Api keys and the embedded authorization server's state are the operator's, not the throwaway
  // sandbox's: `mcp-stripe keys create` writes keys to the data directory, a --sandbox server reads them
  // from there, and signed-in clients stay signed in across a restart.
  const keyStore =
    !opts.store &&
    sandbox &&
    !config.databaseUrl &&
    config.remote.auth.some((m) => m === 'api-key' || m === 'embedded')
      ? await openStore({ memory: false, ...durable })
      : undefined;
  const credentials = keyStore ?? store;
  const apiKeys = credentials.apiKeys;
  const toSandbox = sandbox && sandboxModule ? { apiBase: sandbox.url } : {};
  const stripe = lazyStripeClient(
    stripeOptions(config, sandboxModule ? { apiKey: sandboxModule.SANDBOX_API_KEY, ...toSandbox } : {}),
  );
  // --auth=stripe-key: one client per caller's key, kept under the key's hash (bounded).
  const byKey = new Map<string, LazyStripeClient>();
  const stripeFor = (key: string) => {
    const id = fingerprint(key);
    let client = byKey.get(id);
    if (!client) {
      if (byKey.size >= 1_000) byKey.delete(byKey.keys().next().value!);
      client = lazyStripeClient(stripeOptions(config, { apiKey: key, ...toSandbox }));
      byKey.set(id, client);
    }
    return client;
  };
  const mode = sandbox ? 'sandbox' : config.keyMode;
  const approvals = new ApprovalService({
    store: store.approvals,
    ttlMs: config.security.approvalTtlMs,
    waitMs: config.security.approvalWaitMs,
    now: opts.now,
    logger,
    onPending: config.security.notifyUrl
      ? notifier(config.security.notifyUrl, logger, () => store.operators.getValue(CONSOLE_URL_KEY))
      : undefined,
  });
  // Loaded only with --plans.
  const billing = config.billing.plans
    ? await (async () => {
        const [{ BillingEngine }, { Plans }] = await Promise.all([
          import('./billing/engine.js'),
          import('./billing/plans.js'),
        ]);
        return new BillingEngine({
          plans: new Plans(config.billing.plans!),
          store: store.billing,
          settings: store.operators,
          stripe,
          mode,
          ...(config.billing.user ? { localUser: config.billing.user } : {}),
          logger,
          now: opts.now,
        });
      })()
    : undefined;
  billing?.metering.start();
  // The sandbox is fresh each run: the plans' products and prices are made in it at start.
  if (billing && sandbox) {
    const { syncPlans } = await import('./billing/sync.js');
    await syncPlans(await stripe(), billing.plans, { dryRun: false });
  }
  // prom-client loads only when something listens on HTTP (where `/metrics` is served).
  const metrics =
    config.transport === 'http' || config.webhooks.port !== undefined || sandbox || billing
      ? (await import('./metrics.js')).createMetrics({ store, mode, logger, now: opts.now })
      : undefined;
  const parts: ServerParts = {
    // One key for confirmation state on every instance of this store (a --sandbox store is this process's).
    stateKey: await sharedKey(store.operators, 'confirmation.state-key'),
    stripe,
    stripeFor,
    store,
    logger,
    mode,
    approvals,
    now: opts.now,
    ...(billing ? { billing } : {}),
    ...(metrics ? { observer: metrics } : {}),
  };
  const server = composeServer(config, parts);
  // Tenants: one server each, on its own key or connected account (the sandbox's key with --sandbox).
  const tenants = new Map(
    config.tenants.map((t) => {
      const key = t.stripe.apiKey ?? (sandboxModule ? sandboxModule.SANDBOX_API_KEY : config.apiKey);
      const client = lazyStripeClient(
        stripeOptions(config, { apiKey: key, stripeAccount: t.stripe.account, ...toSandbox }),
      );
      return [t.id, composeTenant(config, t, { ...parts, stripe: client })] as const;
    }),
  );
  const factory: ServerFactory = (caller) => {
    const ids = caller.tenants ?? [];
    if (ids.length === 0) return server.factory(caller);
    if (ids.length === 1) return tenants.get(ids[0]!)!.factory(caller);
    return buildTenantServer(
      ids.map((id) => ({ id, deps: tenants.get(id)!.deps })),
      caller,
    );
  };
  const events = server.events;
  const webhooks: WebhookDeps = {
    secrets: [...config.webhooks.secrets],
    toleranceSeconds: config.webhooks.toleranceSeconds,
    events: store.events,
    logger,
    ...(metrics ? { observer: metrics } : {}),
    onStored: (e) => {
      events.notify(e);
      if (billing) void billing.projector.apply(e);
    },
  };
  // Loaded only with --auth: jose, oauth4webapi and the verifiers are not evaluated at a plain start.
  const edgeAuth = async (origin: string): Promise<EdgeAuth | undefined> =>
    config.remote.auth.length === 0
      ? undefined
      : (await import('./auth/edge.js')).createEdgeAuth(
          config,
          {
            apiKeys,
            oauthState: credentials.oauth,
            settings: credentials.operators,
            logger,
            // The key's own account, without the server's Stripe-Account header; no retries: a bad key fails fast.
            accountOf: async (key) => {
              const s = await createStripeClient(
                stripeOptions(config, {
                  apiKey: key,
                  stripeAccount: undefined,
                  maxNetworkRetries: 0,
                  ...toSandbox,
                }),
              );
              return (await s.accounts.retrieveCurrent()).id;
            },
            stepUp: server.stepUp,
            ...(store.rateLimiter ? { rateLimiter: store.rateLimiter.bind(store) } : {}),
            now: opts.now,
          },
          origin,
        );
  const health = stripeHealth(stripe);
  return {
    factory,
    ...(metrics ? { metrics } : {}),
    readiness: async () => {
      const [storeState, stripeState] = await Promise.all([
        // Asked in a promise: an adapter may throw before it returns one (a closed SQLite file).
        withTimeout(
          Promise.resolve().then(() => store.events.count()),
          2000,
        ).then(
          () => 'ok',
          (err: unknown) => `not answering: ${err instanceof Error ? err.message.slice(0, 200) : 'unknown'}`,
        ),
        sandbox ? Promise.resolve({ ok: true, detail: 'answers' }) : health(),
      ]);
      return { store: storeState, stripe: stripeState.ok ? 'ok' : stripeState.detail };
    },
    remote: {
      publicUrl: config.remote.publicUrl,
      allowedOrigins: config.remote.allowedOrigins,
      trustProxy: config.remote.trustProxy,
      auth: edgeAuth,
      ...(config.remote.metricsToken ? { metricsToken: config.remote.metricsToken } : {}),
    },
    stripe,
    tools: server.tools,
    mode,
    store,
    apiKeys,
    approvals,
    events,
    webhooks,
    sandbox,
    ...(billing ? { billing } : {}),
    console: {
      store,
      approvals,
      mode,
      stripeAccount: config.stripeAccount,
      dailyLimit: config.security.dailyLimit,
      settings: describeConfig(config),
      stripeHealth: health,
      webhookSecrets: () => webhooks.secrets.length,
      apiKeys,
      oauth: credentials.oauth,
      authModes: config.remote.auth,
      logger,
      now: opts.now,
    },
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
      await closeAll([
        () => billing?.metering.stop(),
        () => sandbox?.close(),
        () => store.close(),
        () => keyStore?.close(),
      ]);
    },
  };
}

/** Whether Stripe answers, for the console's overview: one cheap read, remembered for 30 seconds. */
/** `p`, or a rejection after `ms`. */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function stripeHealth(stripe: LazyStripeClient): ConsoleDeps['stripeHealth'] {
  let last: { at: number; value: { ok: boolean; detail: string } } | undefined;
  return async () => {
    if (last && Date.now() - last.at < 30_000) return last.value;
    const value = await stripe()
      .then((s) => s.balance.retrieve())
      .then(
        () => ({ ok: true, detail: 'answers' }),
        (err: unknown) => ({
          ok: false,
          detail: err instanceof Error ? err.message.slice(0, 200) : 'unreachable',
        }),
      );
    last = { at: Date.now(), value };
    return value;
  };
}

/** What the demo seed made, for the start-up log line. */
function seedLog(seeded: RunningSandbox['seeded']): Record<string, unknown> {
  if (!seeded) return {};
  const { customers, subscriptions, payments, refunds, disputes, payouts } = seeded;
  return { seeded: { customers, subscriptions, payments, refunds, disputes, payouts } };
}
