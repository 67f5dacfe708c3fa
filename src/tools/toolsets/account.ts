import { z } from 'zod';
import { defineTool, READ } from '../define-tool.js';

const amounts = z.array(z.object({ amount: z.number().int(), currency: z.string() }));

export const accountTools = [
  defineTool({
    name: 'get_stripe_account_info',
    title: 'Get Stripe account info',
    description:
      'The Stripe account this server acts for: id, name, country, default currency, whether it can take charges and payouts, and the mode (sandbox, test or live).',
    toolset: 'account',
    annotations: READ,
    input: {},
    output: z.object({
      id: z.string(),
      business_name: z.string().nullable(),
      email: z.string().nullable(),
      country: z.string().nullable(),
      default_currency: z.string().nullable(),
      charges_enabled: z.boolean(),
      payouts_enabled: z.boolean(),
      type: z.string().nullable(),
      mode: z.enum(['sandbox', 'test', 'live']),
    }),
    async handler(_args, ctx) {
      const a = await ctx.stripe.accounts.retrieveCurrent();
      return {
        id: a.id,
        business_name: a.business_profile?.name ?? a.settings?.dashboard?.display_name ?? null,
        email: a.email ?? null,
        country: a.country ?? null,
        default_currency: a.default_currency ?? null,
        charges_enabled: a.charges_enabled ?? false,
        payouts_enabled: a.payouts_enabled ?? false,
        type: a.type ?? null,
        mode: ctx.mode,
      };
    },
  }),
  defineTool({
    name: 'retrieve_balance',
    title: 'Retrieve balance',
    description: 'The account balance per currency, in minor units: available (can be paid out) and pending.',
    toolset: 'balance',
    annotations: READ,
    input: {},
    output: z.object({ available: amounts, pending: amounts }),
    async handler(_args, ctx) {
      const b = await ctx.stripe.balance.retrieve();
      const pick = (xs: { amount: number; currency: string }[]) =>
        xs.map(({ amount, currency }) => ({ amount, currency }));
      return { available: pick(b.available), pending: pick(b.pending) };
    },
  }),
];
