import { z } from 'zod';
import type { AmountLimit } from '../policy/amounts.js';
import type { ConfirmMode } from '../policy/confirm.js';
import type { PermissionConfig } from '../policy/permissions.js';

export type { ConfirmMode };

/** The `--config` file: JSON with `api`, `security`, `defaults` and `server` sections. Unknown keys are errors. */
export const fileConfigSchema = z.strictObject({
  api: z
    .strictObject({
      key: z.string(),
      version: z.string(),
      timeout: z.number().int().positive(),
      maxNetworkRetries: z.number().int().min(0).max(10),
      base: z.string(),
      stripeAccount: z.string(),
      /** The shape published Stripe MCP guides use: the webhook signing secret. */
      webhookSecret: z.union([z.string(), z.array(z.string())]),
      callTimeout: z.number().int().positive(),
    })
    .partial()
    .optional(),
  security: z
    .strictObject({
      tools: z.union([z.string(), z.array(z.string())]),
      deny: z.union([z.string(), z.array(z.string())]),
      readOnly: z.boolean(),
      allowedOperations: z.union([z.string(), z.array(z.string())]),
      maxAmount: z.union([z.string(), z.number()]),
      dailyLimit: z.union([z.string(), z.number()]),
      confirm: z.enum(['none', 'destructive', 'money', 'all']),
      confirmAbove: z.union([z.string(), z.number()]),
      allowLive: z.boolean(),
      redact: z.union([z.string(), z.array(z.string())]),
      approvalTtlSeconds: z.number().int().positive(),
      /** As in published Stripe MCP guides: true confirms money-moving calls (`confirm: money`). */
      verificationRequired: z.boolean(),
    })
    .partial()
    .optional(),
  defaults: z
    .strictObject({
      currency: z.string(),
      idempotencyEnabled: z.boolean(),
      /** false: payment intents are created with capture_method=manual unless a call says otherwise. */
      autoCapture: z.boolean(),
    })
    .partial()
    .optional(),
  webhooks: z
    .strictObject({
      secret: z.union([z.string(), z.array(z.string())]),
      tolerance: z.number().int().positive(),
      port: z.number().int().min(0).max(65535),
      syncOnStart: z.boolean(),
    })
    .partial()
    .optional(),
  server: z
    .strictObject({
      transport: z.enum(['stdio', 'http']),
      host: z.string(),
      port: z.number().int().min(0).max(65535),
      logLevel: z.enum(['debug', 'info', 'warn', 'error']),
      dataDir: z.string(),
    })
    .partial()
    .optional(),
});

export type FileConfig = z.infer<typeof fileConfigSchema>;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export const REDACTABLE = ['email', 'phone', 'address', 'name'] as const;
export type Redactable = (typeof REDACTABLE)[number];

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
}

/** Everything the server needs, resolved from flags, environment and config file. */
export interface Config {
  /** The Stripe key; empty in sandbox mode, where the sandbox's own key is used. */
  apiKey: string;
  keyMode: 'test' | 'live';
  sandbox: boolean;
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
  webhooks: WebhookConfig;
  currency: string | undefined;
  /** false: new payment intents only authorize (capture_method=manual) unless the call says otherwise. */
  autoCapture: boolean;
  idempotencyEnabled: boolean;
  transport: 'stdio' | 'http';
  host: string;
  port: number;
  logLevel: LogLevel;
}
