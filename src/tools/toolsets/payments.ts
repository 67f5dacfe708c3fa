import type Stripe from 'stripe';
import { z } from 'zod';
import {
  CREATE,
  defineTool,
  DESTRUCTIVE,
  emailInput,
  READ,
  ToolInputError,
  UPDATE,
  type ToolContext,
} from '../define-tool.js';
import {
  amountInput,
  currencyInput,
  listInput,
  listOutput,
  metadataInput,
  nextActionAdvice,
  paymentIntent,
  paymentIntentShape,
  paymentMethod,
  paymentMethodShape,
  refund,
  refundShape,
  toList,
} from '../shapes.js';

const piId = z.string().describe('pi_…');

/** A payment intent as a result, with what the customer must do when it waits on them. */
function shown(pi: Stripe.PaymentIntent, ctx: ToolContext) {
  const advice = nextActionAdvice(pi);
  if (advice) ctx.note(advice);
  return paymentIntent(pi);
}

export const paymentIntentTools = [
  defineTool({
    name: 'create_payment_intent',
    title: 'Create payment intent',
    description:
      'Create a PaymentIntent; with payment_method (pm_…) and confirm=true it charges now. capture_method=manual only authorizes (capture later). Returns its status.',
    toolset: 'payment_intents',
    endpoints: ['payment_intents.create'],
    annotations: CREATE,
    input: {
      amount: amountInput,
      currency: currencyInput,
      customer: z.string().optional(),
      payment_method: z.string().optional().describe('pm_…; never card numbers'),
      confirm: z.boolean().optional(),
      capture_method: z.enum(['automatic', 'automatic_async', 'manual']).optional(),
      off_session: z.boolean().optional().describe('With confirm: customer is not present'),
      return_url: z.string().url().optional(),
      description: z.string().optional(),
      receipt_email: emailInput.optional(),
      setup_future_usage: z.enum(['on_session', 'off_session']).optional(),
      metadata: metadataInput,
    },
    output: paymentIntentShape,
    async handler({ currency, capture_method, ...args }, ctx) {
      const capture = capture_method ?? (ctx.defaults.autoCapture ? undefined : ('manual' as const));
      // Confirming without a return URL: card-only flows that never redirect, as Stripe requires.
      const apm =
        args.confirm && !args.return_url
          ? { automatic_payment_methods: { enabled: true, allow_redirects: 'never' as const } }
          : {};
      return shown(
        await ctx.stripe.paymentIntents.create(
          {
            ...args,
            ...apm,
            ...(capture ? { capture_method: capture } : {}),
            currency: ctx.currency(currency),
          },
          ctx.request,
        ),
        ctx,
      );
    },
  }),
  defineTool({
    name: 'retrieve_payment_intent',
    title: 'Retrieve payment intent',
    description: 'One PaymentIntent: status, amounts, last error.',
    toolset: 'payment_intents',
    annotations: READ,
    input: { payment_intent: piId },
    output: paymentIntentShape,
    async handler({ payment_intent }, ctx) {
      return shown(await ctx.stripe.paymentIntents.retrieve(payment_intent), ctx);
    },
  }),
  defineTool({
    name: 'confirm_payment_intent',
    title: 'Confirm payment intent',
    description: 'Confirm a PaymentIntent (charges it, or authorizes when capture_method=manual).',
    toolset: 'payment_intents',
    endpoints: ['payment_intents.confirm'],
    idArg: 'payment_intent',
    annotations: CREATE,
    input: {
      payment_intent: piId,
      payment_method: z.string().optional().describe('pm_…'),
      off_session: z.boolean().optional(),
      return_url: z.string().url().optional(),
    },
    output: paymentIntentShape,
    async handler({ payment_intent, ...args }, ctx) {
      return shown(await ctx.stripe.paymentIntents.confirm(payment_intent, args, ctx.request), ctx);
    },
  }),
  defineTool({
    name: 'capture_payment_intent',
    title: 'Capture payment intent',
    description: 'Capture an authorized PaymentIntent (status requires_capture), fully or amount_to_capture.',
    toolset: 'payment_intents',
    endpoints: ['payment_intents.capture'],
    idArg: 'payment_intent',
    annotations: { ...CREATE, idempotentHint: true },
    input: { payment_intent: piId, amount_to_capture: amountInput.optional() },
    output: paymentIntentShape,
    async handler({ payment_intent, ...args }, ctx) {
      return paymentIntent(await ctx.stripe.paymentIntents.capture(payment_intent, args, ctx.request));
    },
  }),
  defineTool({
    name: 'cancel_payment_intent',
    title: 'Cancel payment intent',
    description: 'Cancel a PaymentIntent that has not succeeded (releases an authorization).',
    toolset: 'payment_intents',
    endpoints: ['payment_intents.cancel'],
    annotations: { ...DESTRUCTIVE, idempotentHint: true },
    input: {
      payment_intent: piId,
      cancellation_reason: z
        .enum(['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'])
        .optional(),
    },
    output: paymentIntentShape,
    async handler({ payment_intent, ...args }, ctx) {
      return paymentIntent(await ctx.stripe.paymentIntents.cancel(payment_intent, args, ctx.request));
    },
  }),
  defineTool({
    name: 'list_payment_intents',
    title: 'List payment intents',
    description: 'PaymentIntents, newest first, optionally for one customer.',
    toolset: 'payment_intents',
    annotations: READ,
    input: { customer: z.string().optional(), ...listInput },
    output: listOutput(paymentIntentShape),
    async handler(args, ctx) {
      return toList(await ctx.stripe.paymentIntents.list(args), paymentIntent);
    },
  }),
];

export const paymentMethodTools = [
  defineTool({
    name: 'attach_payment_method',
    title: 'Attach payment method',
    description:
      'Attach a payment method (pm_…) to a customer; set_as_default makes it the default for invoices and subscriptions.',
    toolset: 'payment_methods',
    endpoints: ['payment_methods.attach', 'customers.update'],
    annotations: UPDATE,
    input: {
      payment_method: z.string().describe('pm_… (test: pm_card_visa)'),
      customer: z.string().describe('cus_…'),
      set_as_default: z.boolean().optional(),
    },
    output: paymentMethodShape.extend({ is_default: z.boolean() }),
    async handler({ payment_method, customer, set_as_default }, ctx) {
      const pm = await ctx.stripe.paymentMethods.attach(payment_method, { customer }, ctx.request);
      if (set_as_default) {
        await ctx.stripe.customers.update(
          customer,
          { invoice_settings: { default_payment_method: pm.id } },
          ctx.step('default'),
        );
      }
      return { ...paymentMethod(pm), is_default: set_as_default ?? false };
    },
  }),
  defineTool({
    name: 'list_payment_methods',
    title: 'List payment methods',
    description: "A customer's saved payment methods (brand, last4, expiry; never full numbers).",
    toolset: 'payment_methods',
    annotations: READ,
    input: {
      customer: z.string().describe('cus_…'),
      type: z.string().optional().describe('Default card'),
      ...listInput,
    },
    output: listOutput(paymentMethodShape),
    async handler({ customer, type, ...page }, ctx) {
      return toList(
        await ctx.stripe.customers.listPaymentMethods(customer, {
          type: (type ?? 'card') as 'card',
          ...page,
        }),
        paymentMethod,
      );
    },
  }),
];

export const refundTools = [
  defineTool({
    name: 'create_refund',
    title: 'Create refund',
    description: 'Refund a payment in full, or partly with amount. Pass payment_intent (or charge).',
    toolset: 'refunds',
    endpoints: ['refunds.create'],
    annotations: DESTRUCTIVE,
    input: {
      payment_intent: z.string().optional().describe('pi_…'),
      charge: z.string().optional().describe('ch_…'),
      amount: amountInput.optional().describe('Minor units; omit to refund everything not yet refunded'),
      reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer']).optional(),
      metadata: metadataInput,
    },
    output: refundShape,
    async handler(args, ctx) {
      if (!args.payment_intent === !args.charge)
        throw new ToolInputError(
          'payment_intent',
          'pass exactly one of payment_intent (pi_…) or charge (ch_…).',
        );
      return refund(await ctx.stripe.refunds.create(args, ctx.request));
    },
  }),
  defineTool({
    name: 'list_refunds',
    title: 'List refunds',
    description: 'Refunds, newest first, optionally for one payment.',
    toolset: 'refunds',
    annotations: READ,
    input: { payment_intent: z.string().optional(), charge: z.string().optional(), ...listInput },
    output: listOutput(refundShape),
    async handler(args, ctx) {
      return toList(await ctx.stripe.refunds.list(args), refund);
    },
  }),
];
