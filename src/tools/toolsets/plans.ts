// The paying user's own tools (`--plans`): where they stand, a link to upgrade, a link to manage
// billing. They never count against a quota and are never behind the paywall.
import { z } from 'zod';
import { defineTool, READ, ToolInputError, type ToolContext } from '../define-tool.js';

const offered = z.object({
  key: z.string(),
  label: z.string(),
  price: z.string(),
  trialDays: z.number().int().optional(),
});

const billingOf = (ctx: ToolContext) => {
  if (!ctx.billing) throw new Error('billing tools run only with --plans');
  return ctx.billing;
};

export const planTools = [
  defineTool({
    name: 'billing_status',
    title: 'Billing status',
    description:
      "The caller's plan on this server: its status (active, trialing, past_due, free), renewal or trial end, each quota's use and reset time, and the plans on offer.",
    toolset: 'plans',
    annotations: READ,
    input: {},
    output: z.object({
      user: z.string(),
      plan: z.string().nullable(),
      plan_label: z.string().nullable(),
      status: z.string(),
      note: z.string().optional(),
      renews_at: z.string().nullable(),
      trial_ends_at: z.string().nullable(),
      cancel_at_period_end: z.boolean(),
      quotas: z.array(
        z.object({ quota: z.string(), used: z.number(), limit: z.number(), resets_at: z.string() }),
      ),
      offers: z.array(offered.extend({ quotas: z.record(z.string(), z.number()) })),
    }),
    async handler(_args, ctx) {
      const billing = billingOf(ctx);
      return { ...(await billing.status(ctx.caller)), offers: billing.offers() } as never;
    },
  }),
  defineTool({
    name: 'upgrade_plan',
    title: 'Upgrade plan',
    description:
      'A link (absolute, 30 minutes) where the user pays for a plan with Stripe Checkout. Without `plan`: the next plan up. Give the user the URL; nothing is charged until they pay.',
    toolset: 'plans',
    annotations: READ,
    input: { plan: z.string().max(40).optional().describe('The plan key (billing_status lists them).') },
    output: z.object({ plan: offered, url: z.string() }),
    async handler(args, ctx) {
      const r = await billingOf(ctx).upgrade(ctx.caller, args.plan);
      if ('error' in r) throw new ToolInputError('plan', r.error);
      return r;
    },
  }),
  defineTool({
    name: 'manage_billing',
    title: 'Manage billing',
    description:
      'A Stripe Customer Portal link (30 minutes) where the user switches plans, cancels, updates the card and sees invoices.',
    toolset: 'plans',
    annotations: READ,
    input: {},
    output: z.object({ url: z.string() }),
    async handler(_args, ctx) {
      const r = await billingOf(ctx).manage(ctx.caller);
      if ('error' in r) throw new ToolInputError('plan', r.error);
      return r;
    },
  }),
];
