import { z } from 'zod';
import { moneyFor } from '../../money/model.js';
import { CREATE, defineTool, DESTRUCTIVE, READ, ToolInputError, UPDATE } from '../define-tool.js';
import {
  amountInput,
  currencyInput,
  dispute,
  disputeShape,
  invoice,
  invoiceItem,
  invoiceItemShape,
  invoiceShape,
  listInput,
  listOutput,
  metadataInput,
  subscription,
  subscriptionShape,
  toList,
} from '../shapes.js';

const subId = z.string().describe('sub_…');
const expandInvoice = ['latest_invoice'];

export const subscriptionTools = [
  defineTool({
    name: 'create_subscription',
    title: 'Create subscription',
    description:
      "Subscribe a customer to recurring prices. Charges the customer's default payment method (or default_payment_method) unless trialing. Returns status and the first invoice.",
    toolset: 'subscriptions',
    endpoints: ['subscriptions.create'],
    annotations: CREATE,
    input: {
      customer: z.string().describe('cus_…'),
      items: z
        .array(
          z.object({
            price: z.string().describe('recurring price_…'),
            quantity: z.number().int().positive().optional(),
          }),
        )
        .min(1),
      default_payment_method: z.string().optional(),
      trial_period_days: z.number().int().min(1).max(730).optional(),
      payment_behavior: z.enum(['allow_incomplete', 'default_incomplete', 'error_if_incomplete']).optional(),
      collection_method: z.enum(['charge_automatically', 'send_invoice']).optional(),
      days_until_due: z.number().int().min(0).optional().describe('With send_invoice'),
      cancel_at_period_end: z.boolean().optional(),
      coupon: z.string().optional(),
      description: z.string().optional(),
      metadata: metadataInput,
    },
    output: subscriptionShape,
    async handler({ coupon, ...args }, ctx) {
      const params = { ...args, ...(coupon ? { discounts: [{ coupon }] } : {}), expand: expandInvoice };
      return subscription(await ctx.stripe.subscriptions.create(params, ctx.request));
    },
    money: ({ coupon, ...params }, ctx) =>
      moneyFor(
        'subscriptions.create',
        { params: { ...params, ...(coupon ? { discounts: [{ coupon }] } : {}) } },
        ctx,
      ),
  }),
  defineTool({
    name: 'retrieve_subscription',
    title: 'Retrieve subscription',
    description: 'One subscription: status, current period end, prices, latest invoice status.',
    toolset: 'subscriptions',
    annotations: READ,
    input: { subscription: subId },
    output: subscriptionShape,
    async handler({ subscription: id }, ctx) {
      return subscription(await ctx.stripe.subscriptions.retrieve(id, { expand: expandInvoice }));
    },
  }),
  defineTool({
    name: 'update_subscription',
    title: 'Update subscription',
    description:
      'Change prices or quantities (items: {id} to change, {price} to add, {id, deleted:true} to remove), cancel_at_period_end, payment method, metadata, or end a trial (trial_end="now").',
    toolset: 'subscriptions',
    endpoints: ['subscriptions.update'],
    idArg: 'subscription',
    annotations: UPDATE,
    input: {
      subscription: subId,
      items: z
        .array(
          z.object({
            id: z.string().optional().describe('si_… to change'),
            price: z.string().optional(),
            quantity: z.number().int().min(0).optional(),
            deleted: z.boolean().optional(),
          }),
        )
        .optional(),
      cancel_at_period_end: z.boolean().optional(),
      default_payment_method: z.string().optional(),
      proration_behavior: z.enum(['create_prorations', 'none', 'always_invoice']).optional(),
      trial_end: z.union([z.literal('now'), z.number().int()]).optional(),
      description: z.string().optional(),
      metadata: metadataInput,
    },
    output: subscriptionShape,
    async handler({ subscription: id, ...args }, ctx) {
      return subscription(
        await ctx.stripe.subscriptions.update(id, { ...args, expand: expandInvoice }, ctx.request),
      );
    },
  }),
  defineTool({
    name: 'cancel_subscription',
    title: 'Cancel subscription',
    description:
      'Cancel a subscription at the end of the current period (default: the customer keeps access until then), or immediately=true to end it now.',
    toolset: 'subscriptions',
    endpoints: ['subscriptions.update', 'subscriptions.cancel'],
    // Moves money only when ending now with invoice_now: decided per call by `effect`.
    access: { moneyMoving: false },
    annotations: DESTRUCTIVE,
    input: {
      subscription: subId,
      immediately: z.boolean().optional().describe('Default false: cancel at period end'),
      invoice_now: z.boolean().optional().describe('With immediately: bill pending usage now'),
      prorate: z.boolean().optional().describe('With immediately: credit unused time'),
      comment: z.string().max(5000).optional().describe('Why, for your records'),
    },
    output: subscriptionShape,
    async handler({ subscription: id, immediately, invoice_now, prorate, comment }, ctx) {
      const details = comment ? { cancellation_details: { comment } } : {};
      if (!immediately) {
        if (invoice_now !== undefined || prorate !== undefined) {
          throw new ToolInputError(
            'immediately',
            'invoice_now and prorate apply only with immediately=true.',
          );
        }
        const s = await ctx.stripe.subscriptions.update(
          id,
          { cancel_at_period_end: true, ...details, expand: expandInvoice },
          ctx.request,
        );
        return subscription(s);
      }
      const s = await ctx.stripe.subscriptions.cancel(
        id,
        { invoice_now, prorate, ...details, expand: expandInvoice },
        ctx.request,
      );
      return subscription(s);
    },
    // Ending now with invoice_now bills pending usage and prorations at once.
    effect: (a) => ({ moneyMoving: a.immediately === true && a.invoice_now === true, destructive: true }),
    money: (a, ctx) =>
      a.immediately
        ? moneyFor(
            'subscriptions.cancel',
            { params: { invoice_now: a.invoice_now }, id: a.subscription },
            ctx,
          )
        : Promise.resolve(null),
  }),
  defineTool({
    name: 'list_subscriptions',
    title: 'List subscriptions',
    description: 'Subscriptions, newest first, by customer, price or status (default: all but canceled).',
    toolset: 'subscriptions',
    annotations: READ,
    input: {
      customer: z.string().optional(),
      price: z.string().optional(),
      status: z
        .enum([
          'active',
          'all',
          'canceled',
          'ended',
          'incomplete',
          'incomplete_expired',
          'past_due',
          'paused',
          'trialing',
          'unpaid',
        ])
        .optional(),
      ...listInput,
    },
    output: listOutput(subscriptionShape),
    async handler(args, ctx) {
      return toList(await ctx.stripe.subscriptions.list(args), subscription);
    },
  }),
];

const invId = z.string().describe('in_…');

export const invoiceTools = [
  defineTool({
    name: 'create_invoice',
    title: 'Create invoice',
    description:
      'Create a draft invoice for a customer; pending invoice items are included. Add items with create_invoice_item, then finalize_invoice.',
    toolset: 'invoices',
    endpoints: ['invoices.create'],
    // Moves money only when it charges at once: decided per call by `effect`.
    access: { moneyMoving: false },
    annotations: CREATE,
    input: {
      customer: z.string().describe('cus_…'),
      collection_method: z.enum(['charge_automatically', 'send_invoice']).optional(),
      days_until_due: z.number().int().min(0).optional().describe('With send_invoice'),
      auto_advance: z
        .boolean()
        .optional()
        .describe('Let Stripe finalize and collect automatically; default false'),
      pending_invoice_items_behavior: z.enum(['include', 'exclude']).optional().describe('Default include'),
      currency: currencyInput,
      description: z.string().optional(),
      metadata: metadataInput,
    },
    output: invoiceShape,
    async handler(args, ctx) {
      const params = { auto_advance: false, pending_invoice_items_behavior: 'include' as const, ...args };
      return invoice(await ctx.stripe.invoices.create(params, ctx.request));
    },
    // With auto_advance, Stripe finalizes and collects the invoice itself about an hour later.
    effect: (a) => ({ moneyMoving: a.auto_advance === true, destructive: false }),
  }),
  defineTool({
    name: 'create_invoice_item',
    title: 'Create invoice item',
    description:
      "Add a line to a draft invoice (invoice) or to the customer's next invoice: amount+currency, or a price.",
    toolset: 'invoices',
    endpoints: ['invoice_items.create'],
    annotations: CREATE,
    input: {
      customer: z.string().describe('cus_…'),
      invoice: z.string().optional().describe('Draft in_…'),
      amount: amountInput.optional(),
      currency: currencyInput,
      price: z.string().optional().describe('price_… instead of amount'),
      quantity: z.number().int().positive().optional(),
      description: z.string().optional(),
      metadata: metadataInput,
    },
    output: invoiceItemShape,
    async handler({ price, currency, ...args }, ctx) {
      if ((price === undefined) === (args.amount === undefined))
        throw new ToolInputError('amount', 'pass exactly one of amount (with currency) or price.');
      const params = price ? { ...args, pricing: { price } } : { ...args, currency: ctx.currency(currency) };
      return invoiceItem(await ctx.stripe.invoiceItems.create(params, ctx.request));
    },
  }),
  defineTool({
    name: 'finalize_invoice',
    title: 'Finalize invoice',
    description:
      'Finalize a draft invoice: it gets a number and a payment page (hosted_invoice_url) and can be paid.',
    toolset: 'invoices',
    endpoints: ['invoices.finalizeInvoice'],
    idArg: 'invoice',
    annotations: { ...CREATE, idempotentHint: true },
    input: { invoice: invId, auto_advance: z.boolean().optional() },
    output: invoiceShape,
    async handler({ invoice: id, ...args }, ctx) {
      return invoice(await ctx.stripe.invoices.finalizeInvoice(id, args, ctx.request));
    },
  }),
  defineTool({
    name: 'list_invoices',
    title: 'List invoices',
    description: 'Invoices, newest first, by customer, subscription or status.',
    toolset: 'invoices',
    annotations: READ,
    input: {
      customer: z.string().optional(),
      subscription: z.string().optional(),
      status: z.enum(['draft', 'open', 'paid', 'uncollectible', 'void']).optional(),
      ...listInput,
    },
    output: listOutput(invoiceShape),
    async handler(args, ctx) {
      return toList(await ctx.stripe.invoices.list(args), invoice);
    },
  }),
];

const evidence = z
  .object({
    customer_name: z.string(),
    customer_email_address: z.string(),
    product_description: z.string(),
    service_date: z.string(),
    shipping_carrier: z.string(),
    shipping_tracking_number: z.string(),
    shipping_date: z.string(),
    refund_policy_disclosure: z.string(),
    cancellation_rebuttal: z.string(),
    duplicate_charge_explanation: z.string(),
    access_activity_log: z.string(),
    uncategorized_text: z.string(),
  })
  .partial()
  .optional();

export const disputeTools = [
  defineTool({
    name: 'list_disputes',
    title: 'List disputes',
    description: 'Disputes (chargebacks), newest first, with status and evidence due date.',
    toolset: 'disputes',
    annotations: READ,
    input: { charge: z.string().optional(), payment_intent: z.string().optional(), ...listInput },
    output: listOutput(disputeShape),
    async handler(args, ctx) {
      return toList(await ctx.stripe.disputes.list(args), dispute);
    },
  }),
  defineTool({
    name: 'update_dispute',
    title: 'Update dispute',
    description:
      'Add evidence to a dispute. submit=true sends it to the bank, which is final; default saves without submitting.',
    toolset: 'disputes',
    endpoints: ['disputes.update'],
    annotations: { ...DESTRUCTIVE, idempotentHint: true },
    input: {
      dispute: z.string().describe('dp_…'),
      evidence,
      submit: z.boolean().optional(),
      metadata: metadataInput,
    },
    output: disputeShape,
    async handler({ dispute: id, submit, ...args }, ctx) {
      return dispute(await ctx.stripe.disputes.update(id, { ...args, submit: submit ?? false }, ctx.request));
    },
  }),
];
