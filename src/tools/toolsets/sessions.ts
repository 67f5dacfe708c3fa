import { z } from 'zod';
import { CREATE, defineTool, emailInput } from '../define-tool.js';
import { metadataInput } from '../shapes.js';
import { lineItemsInput, lineItemsParams } from './catalog.js';

export const sessionTools = [
  defineTool({
    name: 'create_checkout_session',
    title: 'Create Checkout session',
    description:
      'A hosted Stripe Checkout page (url) for a one-off payment (mode=payment) or a subscription (mode=subscription). client_reference_id ties it to your user.',
    toolset: 'checkout',
    endpoints: ['checkout.sessions.create'],
    annotations: CREATE,
    input: {
      mode: z.enum(['payment', 'subscription']),
      line_items: lineItemsInput,
      success_url: z.string().url().optional(),
      cancel_url: z.string().url().optional(),
      customer: z.string().optional().describe('cus_…'),
      customer_email: emailInput.optional(),
      client_reference_id: z.string().max(200).optional(),
      allow_promotion_codes: z.boolean().optional(),
      coupon: z.string().optional(),
      trial_period_days: z.number().int().min(1).max(730).optional().describe('mode=subscription'),
      metadata: metadataInput,
    },
    output: z.object({
      id: z.string(),
      url: z.string().nullable(),
      mode: z.string(),
      status: z.string().nullable(),
      payment_status: z.string(),
      amount_total: z.number().int().nullable(),
      currency: z.string().nullable(),
      customer: z.string().nullable(),
      client_reference_id: z.string().nullable(),
      expires_at: z.number().int(),
    }),
    async handler({ line_items, coupon, trial_period_days, ...args }, ctx) {
      const s = await ctx.stripe.checkout.sessions.create(
        {
          ...args,
          line_items: lineItemsParams(line_items, ctx),
          ...(coupon ? { discounts: [{ coupon }] } : {}),
          ...(trial_period_days ? { subscription_data: { trial_period_days } } : {}),
        },
        ctx.request,
      );
      return {
        id: s.id,
        url: s.url,
        mode: s.mode,
        status: s.status,
        payment_status: s.payment_status,
        amount_total: s.amount_total,
        currency: s.currency,
        customer: typeof s.customer === 'string' ? s.customer : (s.customer?.id ?? null),
        client_reference_id: s.client_reference_id,
        expires_at: s.expires_at,
      };
    },
  }),
  defineTool({
    name: 'create_customer_portal_session',
    title: 'Create customer portal session',
    description:
      'A short-lived Stripe customer portal URL where the customer manages subscriptions, payment methods and invoices.',
    toolset: 'billing_portal',
    endpoints: ['billing_portal.sessions.create'],
    annotations: CREATE,
    input: { customer: z.string().describe('cus_…'), return_url: z.string().url().optional() },
    output: z.object({
      id: z.string(),
      url: z.string(),
      customer: z.string(),
      return_url: z.string().nullable(),
    }),
    async handler(args, ctx) {
      const s = await ctx.stripe.billingPortal.sessions.create(args, ctx.request);
      return { id: s.id, url: s.url, customer: s.customer, return_url: s.return_url };
    },
  }),
];
