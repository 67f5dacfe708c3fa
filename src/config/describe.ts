import { maskKey } from './keys.js';
import type { Config } from './schema.js';

/** The effective configuration as an operator may see it: every secret masked or counted. */
export function describeConfig(config: Config): Record<string, unknown> {
  const { apiKey, webhooks, security, ...rest } = config;
  return {
    ...rest,
    apiKey: config.sandbox ? '(the sandbox key)' : maskKey(apiKey),
    security: {
      ...security,
      notifyUrl: security.notifyUrl ? `${new URL(security.notifyUrl).origin}/…` : undefined,
    },
    webhooks: { ...webhooks, secrets: `${webhooks.secrets.length} signing secret(s)` },
  };
}
