// The composition root: configuration plus the running parts (Stripe client, store, logger) → what
// buildServer needs. The CLI's runtime, the test stack and the benchmark all assemble a server here, so
// a new dependency of the runner is added once.
import { randomBytes } from 'node:crypto';
import type { AuthInfo } from '@modelcontextprotocol/server';
import { callerOf, scopeFor, type Caller } from './auth/caller.js';
import type { BillingEngine } from './billing/engine.js';
import type { Config } from './config/schema.js';
import type { TenantConfig } from './config/tenants.js';
import { approvalPage } from './console/paths.js';
import type { Logger } from './log.js';
import { stricterConfirm, stricterLimit } from './policy/combine.js';
import { isPermitted } from './policy/permissions.js';
import { CONSOLE_URL_KEY, type ApprovalService } from './server/approvals.js';
import {
  buildServer,
  scopeChallengeFor,
  type ServerDeps,
  type ServerFactory,
} from './server/build-server.js';
import type { Store } from './storage/ports.js';
import type { LazyStripeClient, StripeClientOptions } from './stripe/client.js';
import type { Tool } from './tools/define-tool.js';
import { expandProfiles, selectTools } from './tools/registry.js';
import type { CallObserver } from './tools/runner.js';
import { planTools } from './tools/toolsets/plans.js';
import { EventFeed } from './webhooks/feed.js';

/** The parts of the configuration a server is built from. */
export type ServerSettings = Pick<Config, 'security' | 'defaults' | 'callTimeoutMs' | 'stripeAccount'>;

/**
 * A tenant's server: its Stripe account, and its policy inside the server's own (tools both allow, the
 * denials of both, read-only if either is, the lower caps and limits, the stricter confirmation).
 */
export function composeTenant(
  settings: ServerSettings,
  tenant: TenantConfig,
  parts: ServerParts,
): ComposedServer {
  const s = settings.security;
  const p = tenant.policy;
  const permissions = expandProfiles({
    ...s.permissions,
    deny: [...s.permissions.deny, ...p.deny],
    readOnly: s.permissions.readOnly || p.readOnly,
  });
  const allowed = p.tools
    ? new Set(selectTools(expandProfiles({ allow: p.tools, deny: [], readOnly: false })).map((t) => t.name))
    : undefined;
  const tools = selectTools(permissions).filter((t) => !allowed || allowed.has(t.name));
  return composeServer(
    {
      ...settings,
      // Its own key acts on its own account; an `account` acts on that connected account of the platform.
      stripeAccount: tenant.stripe.account ?? (tenant.stripe.apiKey ? undefined : settings.stripeAccount),
      security: {
        ...s,
        permissions,
        maxAmount: stricterLimit(s.maxAmount, p.maxAmount),
        dailyLimit: stricterLimit(s.dailyLimit, p.dailyLimit),
        confirm: stricterConfirm(s.confirm, p.confirm),
      },
    },
    { ...parts, tools, tenant: tenant.id },
  );
}

/** How the configuration reaches Stripe: one client's options (the sandbox passes its own key and origin). */
export function stripeOptions(
  config: Pick<
    Config,
    'apiKey' | 'apiVersion' | 'timeoutMs' | 'maxNetworkRetries' | 'apiBase' | 'stripeAccount'
  >,
  over: Partial<StripeClientOptions> = {},
): StripeClientOptions {
  return {
    apiKey: config.apiKey,
    apiVersion: config.apiVersion,
    timeoutMs: config.timeoutMs,
    maxNetworkRetries: config.maxNetworkRetries,
    apiBase: config.apiBase,
    stripeAccount: config.stripeAccount,
    ...over,
  };
}

export interface ServerParts {
  stripe: LazyStripeClient;
  /** The client for a caller's own Stripe key (--auth=stripe-key). */
  stripeFor?: (key: string) => LazyStripeClient;
  store: Store;
  logger: Logger;
  mode: 'sandbox' | 'test' | 'live';
  approvals?: ApprovalService;
  /** The event log's wake-ups; by default a feed over the store's event log. */
  events?: EventFeed;
  /** These tools instead of the ones the permissions select (tests, tenants). */
  tools?: readonly Tool[];
  /** Plans and quotas (`--plans`): the paywall before each call, and the paying user's own tools. */
  billing?: BillingEngine;
  /** The tenant this server acts for (config `tenants`): its daily limit and audit trail are its own. */
  tenant?: string;
  /** Signs confirmation state (the multi-round-trip flow): the store's key, shared by every instance. */
  stateKey?: Uint8Array;
  /** Told how each call ended (`/metrics`). */
  observer?: CallObserver;
  now?: () => number;
}

export interface ComposedServer {
  deps: ServerDeps;
  tools: readonly Tool[];
  events: EventFeed;
  /** A fresh MCP server over the shared parts, for one caller (transports call it per connection or request). */
  factory: ServerFactory;
  /** The step-up challenge for a call of a tool the caller cannot see for want of a scope (HTTP edge). */
  stepUp: (authInfo: AuthInfo, request: unknown) => { scopes: string[]; description: string } | undefined;
}

export function composeServer(settings: ServerSettings, parts: ServerParts): ComposedServer {
  const permissions = expandProfiles(settings.security.permissions);
  const selected = parts.tools ?? selectTools(permissions);
  const tools = parts.billing ? [...selected, ...planTools] : selected;
  const events = parts.events ?? new EventFeed(parts.store.events);
  const s = settings.security;
  const deps: ServerDeps = {
    stripe: parts.stripe,
    tools,
    logger: parts.logger,
    ...(parts.approvals
      ? {
          confirmation: {
            approvals: parts.approvals,
            channel: s.confirmChannel,
            approvalPage: async (id: string) => {
              const base = await parts.store.operators.getValue(CONSOLE_URL_KEY);
              return base ? approvalPage(base, id) : undefined;
            },
            // Without the store's key (tests, the bench), this server's own: nobody else can answer it.
            stateKey: parts.stateKey ?? randomBytes(32),
          },
        }
      : {}),
    runner: {
      defaults: settings.defaults,
      callTimeoutMs: settings.callTimeoutMs,
      stripeAccount: settings.stripeAccount,
      ...(parts.tenant ? { tenant: parts.tenant } : {}),
      mode: parts.mode,
      policy: {
        maxAmount: s.maxAmount,
        // A daily limit counts in the store's ledger: it cannot be configured without one.
        ...(s.dailyLimit ? { dailyLimit: { limit: s.dailyLimit, ledger: parts.store.ledger } } : {}),
        confirm: s.confirm,
        confirmAbove: s.confirmAbove,
        redact: s.redact,
      },
      audit: parts.store.audit,
      events,
      now: parts.now,
      permits: (t) => isPermitted(t, permissions),
      ...(parts.observer ? { observer: parts.observer } : {}),
      ...(parts.billing ? { paywall: parts.billing, billing: parts.billing } : {}),
    },
    refused: (t) => !isPermitted(t, { ...permissions, allow: 'all' }),
  };
  const byName = new Map(tools.map((t) => [t.name, t]));
  const depsFor = (caller: Caller): ServerDeps => {
    const own = caller.stripe;
    if (!own || !parts.stripeFor) return deps;
    // The caller's key is used for this caller's calls only; the mode is the key's.
    return { ...deps, stripe: parts.stripeFor(own.key), runner: { ...deps.runner, mode: own.mode } };
  };
  return {
    deps,
    tools,
    events,
    factory: (caller) => buildServer(depsFor(caller), caller),
    stepUp: (authInfo, request) => {
      const caller = callerOf(authInfo);
      const call = request as { method?: unknown; params?: { name?: unknown; arguments?: unknown } } | null;
      if (!caller || call?.method !== 'tools/call' || typeof call.params?.name !== 'string') return undefined;
      const tool = byName.get(call.params.name);
      // A tool the caller can see has the SDK's own challenge; an unknown one is the SDK's to refuse.
      if (!tool || caller.scopes.has(scopeFor(tool.access))) return undefined;
      const challenge = scopeChallengeFor(tool, caller, call.params.arguments);
      return challenge && { scopes: [...challenge.scopes], description: challenge.errorDescription ?? '' };
    },
  };
}
