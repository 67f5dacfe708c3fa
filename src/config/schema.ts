import { z } from 'zod';

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
    })
    .partial()
    .optional(),
  security: z
    .strictObject({
      tools: z.union([z.string(), z.array(z.string())]),
    })
    .partial()
    .optional(),
  defaults: z
    .strictObject({
      currency: z.string(),
      idempotencyEnabled: z.boolean(),
    })
    .partial()
    .optional(),
  server: z
    .strictObject({
      transport: z.enum(['stdio', 'http']),
      host: z.string(),
      port: z.number().int().min(0).max(65535),
      logLevel: z.enum(['debug', 'info', 'warn', 'error']),
    })
    .partial()
    .optional(),
});

export type FileConfig = z.infer<typeof fileConfigSchema>;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Everything the server needs, resolved from flags, environment and config file. */
export interface Config {
  /** Absent only in sandbox mode, where the sandbox key is used. */
  apiKey: string;
  keyMode: 'test' | 'live';
  sandbox: boolean;
  apiVersion: string;
  timeoutMs: number;
  maxNetworkRetries: number;
  /** Origin of a Stripe-compatible API; undefined means api.stripe.com. */
  apiBase: string | undefined;
  stripeAccount: string | undefined;
  /** `all`, or the exact tool names to expose. */
  tools: 'all' | string[];
  currency: string | undefined;
  idempotencyEnabled: boolean;
  transport: 'stdio' | 'http';
  host: string;
  port: number;
  logLevel: LogLevel;
}
