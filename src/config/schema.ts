import type { AmountLimit } from '../policy/amounts.js';
import type { ConfirmMode } from '../policy/confirm.js';
import type { PermissionConfig } from '../policy/permissions.js';
import type { AuthMode, ConfirmChannel, LOG_LEVELS, Redactable, ToolDefaults } from './options.js';
import type { PlansFile } from './plans.js';
import type { TenantConfig } from './tenants.js';
import type { UserEntry } from './users.js';

export type { ConfirmMode };

export type { FileConfig, Redactable } from './options.js';
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface WebhookConfig {
  /** Signing secrets (`whsec_…`); several during a rotation. Empty: webhooks are not accepted. */
  secrets: string[];
  toleranceSeconds: number;
  /** stdio mode: open a loopback listener for `/webhooks/stripe` on this port. */
  port?: number;
  /** Catch up from `/v1/events` at start-up. */
  syncOnStart: boolean;
}

/** What an agent may do: see docs/security.md. */
export interface SecurityConfig {
  permissions: PermissionConfig;
  /** Largest amount one call may move. */
  maxAmount?: AmountLimit;
  /** Rolling 24-hour cap per currency over money-moving calls. */
  dailyLimit?: AmountLimit;
  confirm: ConfirmMode;
  /** Money-moving calls above this need confirmation (with confirm=none: only those). */
  confirmAbove?: AmountLimit;
  allowLive: boolean;
  redact: Redactable[];
  approvalTtlMs: number;
  /** Who confirms: an operator in the console, the client's own user (elicitation), or either. */
  confirmChannel: ConfirmChannel;
  /** How long a call waits for an operator's decision before answering that it is waiting. */
  approvalWaitMs: number;
  /** Where to POST a notice when a call starts waiting (Slack-compatible JSON). */
  notifyUrl: string | undefined;
}

/** Who may reach an HTTP server and how they prove it: see docs/remote.md. */
export interface RemoteConfig {
  /** Empty: no authentication (loopback only, every caller trusted). */
  auth: AuthMode[];
  /** The canonical URL clients use (no trailing slash); undefined: the listen address. */
  publicUrl: string | undefined;
  /** Browser origins allowed besides the public URL's own. */
  allowedOrigins: string[];
  trustProxy: boolean;
  /** The bearer token `GET /metrics` asks for when callers authenticate; undefined: closed with --auth. */
  metricsToken?: string;
  oauth: {
    issuer: string | undefined;
    introspectionUrl: string | undefined;
    clientId: string | undefined;
    clientSecret: string | undefined;
  };
  /** MCP requests per minute per caller; 0: no limit. */
  rateLimitPerMinute: number;
}

/** Everything the server needs, resolved from flags, environment and config file. */
export interface Config {
  /** The Stripe key; empty in sandbox mode, where the sandbox's own key is used. */
  apiKey: string;
  keyMode: 'test' | 'live';
  sandbox: boolean;
  /** What the sandbox starts with. */
  seed: 'demo' | 'none';
  apiVersion: string;
  timeoutMs: number;
  /** The most one tool call may take, retries included. */
  callTimeoutMs: number;
  maxNetworkRetries: number;
  /** Origin of a Stripe-compatible API; undefined means api.stripe.com. */
  apiBase: string | undefined;
  stripeAccount: string | undefined;
  security: SecurityConfig;
  /** Where durable state lives (SQLite): the money ledger, the audit log, the event log. */
  dataDir: string;
  /** Postgres (`--database-url`): every durable port there instead of SQLite in `dataDir`. */
  databaseUrl?: string;
  webhooks: WebhookConfig;
  /** The behaviour options (currency, idempotency, auto-capture, …), as every tool call sees them. */
  defaults: ToolDefaults;
  transport: 'stdio' | 'http';
  remote: RemoteConfig;
  /** Who may sign in to the embedded authorization server (the config file's `users`). */
  users: UserEntry[];
  /** Several Stripe accounts in one deployment (the config file's `tenants`); empty: one account. */
  tenants: TenantConfig[];
  /** Charging for tools: the plans file (`--plans`), and who pays over stdio (`--billing-user`). */
  billing: {
    plans?: PlansFile;
    plansPath?: string;
    user?: string;
    /** `mcp-stripe gateway`: the server behind it (a URL, or a command over stdio). */
    upstream?: { url?: string; command?: string; timeoutMs: number };
  };
  host: string;
  port: number;
  logLevel: LogLevel;
}
