import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { createSandboxApp, SandboxState, type RouteTable, type SandboxOptions } from './app.js';
import { mountHostedPages } from './hosted.js';
import { mountPortal } from './portal.js';
import { accountRoutes } from './resources/account.js';
import { balanceRoutes } from './resources/balance.js';
import { catalogRoutes } from './resources/catalog.js';
import { chargeRoutes } from './resources/charges.js';
import { customerActionRoutes } from './resources/customer-actions.js';
import { customerRoutes } from './resources/customers.js';
import { disputeRoutes } from './resources/disputes.js';
import { entitlementRoutes, summarizeEntitlements } from './resources/entitlements.js';
import { eventRoutes } from './resources/events.js';
import { invoiceItemRoutes } from './resources/invoice-items.js';
import { invoiceRoutes } from './resources/invoices.js';
import { meterRoutes, portalConfigurationRoutes } from './resources/meters.js';
import { paymentIntentRoutes } from './resources/payment-intents.js';
import { paymentMethodRoutes } from './resources/payment-methods.js';
import { refundRoutes } from './resources/refunds.js';
import { searchRoutes } from './resources/search.js';
import { sessionRoutes } from './resources/sessions.js';
import { subscriptionRoutes } from './resources/subscriptions.js';
import { testClockRoutes } from './resources/test-clocks.js';
import { webhookEndpointRoutes } from './resources/webhook-endpoints.js';
import { PinnableClock, seedDemo, type SeedSummary } from './seed.js';
import { systemClock } from './store.js';

export { SandboxState, type SandboxOptions } from './app.js';
export type { Fault } from './faults.js';

/** The key `--sandbox` uses; the sandbox accepts any well-formed test key. */
export const SANDBOX_API_KEY = 'sk_test_mcpstripesandbox';

function registerAll(routes: RouteTable): void {
  // Before /v1/<resource>/:id, so `search` is not taken for an id.
  searchRoutes(routes);
  accountRoutes(routes);
  balanceRoutes(routes);
  customerRoutes(routes);
  paymentMethodRoutes(routes);
  paymentIntentRoutes(routes);
  chargeRoutes(routes);
  refundRoutes(routes);
  disputeRoutes(routes);
  catalogRoutes(routes);
  subscriptionRoutes(routes);
  testClockRoutes(routes);
  invoiceRoutes(routes);
  invoiceItemRoutes(routes);
  sessionRoutes(routes);
  meterRoutes(routes);
  entitlementRoutes(routes);
  portalConfigurationRoutes(routes);
  eventRoutes(routes);
  webhookEndpointRoutes(routes);
  customerActionRoutes(routes);
}

export interface RunningSandbox {
  /** Origin, e.g. `http://127.0.0.1:41234`: pass it as `STRIPE_API_BASE`. */
  url: string;
  port: number;
  state: SandboxState;
  /** What `seed: 'demo'` made. */
  seeded?: SeedSummary;
  close(): Promise<void>;
}

export function createSandbox(options: SandboxOptions = {}) {
  const clock = new PinnableClock(options.clock ?? systemClock);
  const state = new SandboxState({ ...options, clock });
  state.followUps.push(summarizeEntitlements);
  const app = createSandboxApp(state, registerAll);
  mountHostedPages(app as unknown as Hono, state);
  mountPortal(app as unknown as Hono, state);
  return { state, app, clock };
}

/** Starts the sandbox on `host:port` (default 127.0.0.1, a free port). */
export async function startSandbox(
  options: SandboxOptions & { host?: string; port?: number; seed?: 'demo' | 'none' } = {},
): Promise<RunningSandbox> {
  const { state, app, clock } = createSandbox(options);
  // Before it listens: nothing else runs while the seed sets the clock.
  const seeded =
    options.seed === 'demo'
      ? await seedDemo(app, state.platform, clock, options.apiKeys?.[0] ?? SANDBOX_API_KEY)
      : undefined;
  const host = options.host ?? '127.0.0.1';
  const server = createAdaptorServer({ fetch: (req, env) => app.fetch(req, env), hostname: host });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  state.origin = `http://${host}:${port}`;
  return {
    url: `http://${host}:${port}`,
    port,
    state,
    ...(seeded ? { seeded } : {}),
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
