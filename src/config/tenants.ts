import { z } from 'zod';
import { parseAmountLimit, type AmountLimit } from '../policy/amounts.js';
import { CONFIRM_MODES } from './options.js';

const limit = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const parsed = parseAmountLimit(v);
  if ('error' in parsed) {
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  return parsed;
});
const list = z.array(z.string().min(1));

/**
 * One deployment, several Stripe accounts (`tenants` in the config file). A caller resolves to the
 * tenants whose members include it; the tenant picks the Stripe key (or the connected account on the
 * platform key), the policy (within the server's own), and the scope of limits and audit.
 */
export const tenantSchema = () =>
  z.strictObject({
    id: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
        'a tenant id is 1 to 64 letters, digits, dashes or underscores',
      ),
    stripe: z
      .strictObject({
        apiKey: z.string().optional(),
        apiKeyEnv: z.string().optional(),
        account: z
          .string()
          .regex(/^acct_[A-Za-z0-9]+$/, 'a Connect account id (acct_…)')
          .optional(),
      })
      .refine((s) => [s.apiKey, s.apiKeyEnv, s.account].filter(Boolean).length === 1, {
        message:
          'name exactly one of apiKey, apiKeyEnv (the environment variable holding the key) or account',
      }),
    policy: z
      .strictObject({
        tools: list.optional(),
        deny: list.optional(),
        readOnly: z.boolean().optional(),
        maxAmount: limit.optional(),
        dailyLimit: limit.optional(),
        confirm: z.enum(CONFIRM_MODES).optional(),
      })
      .optional(),
    members: z.strictObject({
      subjects: list.optional(),
      emails: list.optional(),
      emailDomains: list.optional(),
      groups: list.optional(),
      apiKeys: list.optional(),
    }),
  });
// Built on first use (options.ts imports this module, and this one reads options.ts's table).
export type TenantParsed = z.output<ReturnType<typeof tenantSchema>>;

/** A tenant as the server runs it: its key resolved from the environment. */
export interface TenantConfig {
  id: string;
  stripe: { apiKey?: string; account?: string };
  policy: {
    tools?: string[];
    deny: string[];
    readOnly: boolean;
    maxAmount?: AmountLimit;
    dailyLimit?: AmountLimit;
    confirm?: (typeof CONFIRM_MODES)[number];
  };
  members: NonNullable<TenantParsed['members']>;
}
