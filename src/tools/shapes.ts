import type Stripe from 'stripe';
import { z } from 'zod';
import { idOf } from '../util/ids.js';

export { idOf };

/**
 * Output shapes: the fields an agent needs from each Stripe object, not the raw object. Text that
 * comes from Stripe (names, descriptions, metadata) is returned as data fields, never as prose.
 */

const id = z.string();
const nullableId = z.string().nullable();
const ts = z.number().int().nullable().describe('Unix seconds');
const metadata = z.record(z.string(), z.string());

// Inputs shared by several tools, with Stripe's parameter names.
export const listInput = {
  limit: z.number().int().min(1).max(100).optional().describe('1-100, default 10'),
  starting_after: z.string().optional().describe('Cursor: next_starting_after of the previous page'),
  ending_before: z.string().optional().describe('Cursor for the previous page'),
};
export const metadataInput = z
  .record(z.string().max(40), z.string().max(500))
  .optional()
  .describe('Key-value pairs');
export const amountInput = z.number().int().positive().describe('Minor units (cents): 1000 = $10.00');
export const currencyInput = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'must be a three-letter ISO code such as usd')
  .optional()
  .describe('ISO code, e.g. usd (default: server setting)');

export function listOutput<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    has_more: z.boolean(),
    next_starting_after: z
      .string()
      .nullable()
      .describe('Pass as starting_after for the next page; null on the last page'),
  });
}

export function toList<T extends { id?: string }, U>(list: Stripe.ApiList<T>, map: (item: T) => U) {
  const last = list.data.at(-1);
  return {
    data: list.data.map(map),
    has_more: list.has_more,
    next_starting_after: list.has_more && last?.id ? last.id : null,
  };
}

export const customerShape = z.object({
  id,
  email: z.string().nullable(),
  name: z.string().nullable(),
  phone: z.string().nullable(),
  description: z.string().nullable(),
  balance: z.number().int(),
  currency: z.string().nullable(),
  delinquent: z.boolean().nullable(),
  default_payment_method: nullableId,
  created: ts,
  metadata,
});
export const customer = (c: Stripe.Customer): z.input<typeof customerShape> => ({
  id: c.id,
  email: c.email ?? null,
  name: c.name ?? null,
  phone: c.phone ?? null,
  description: c.description,
  balance: c.balance,
  currency: c.currency ?? null,
  delinquent: c.delinquent ?? null,
  default_payment_method: idOf(c.invoice_settings?.default_payment_method),
  created: c.created,
  metadata: c.metadata,
});

export const productShape = z.object({
  id,
  name: z.string(),
  active: z.boolean(),
  description: z.string().nullable(),
  default_price: nullableId,
  created: ts,
  metadata,
});
export const product = (p: Stripe.Product): z.input<typeof productShape> => ({
  id: p.id,
  name: p.name,
  active: p.active,
  description: p.description,
  default_price: idOf(p.default_price),
  created: p.created,
  metadata: p.metadata,
});

export const priceShape = z.object({
  id,
  product: id,
  active: z.boolean(),
  currency: z.string(),
  unit_amount: z.number().int().nullable(),
  type: z.string().describe('one_time or recurring'),
  recurring: z.object({ interval: z.string(), interval_count: z.number().int() }).nullable(),
  nickname: z.string().nullable(),
  lookup_key: z.string().nullable(),
  metadata,
});
export const price = (p: Stripe.Price): z.input<typeof priceShape> => ({
  id: p.id,
  product: idOf(p.product) ?? '',
  active: p.active,
  currency: p.currency,
  unit_amount: p.unit_amount,
  type: p.type,
  recurring: p.recurring
    ? { interval: p.recurring.interval, interval_count: p.recurring.interval_count }
    : null,
  nickname: p.nickname,
  lookup_key: p.lookup_key,
  metadata: p.metadata,
});

export const couponShape = z.object({
  id,
  name: z.string().nullable(),
  percent_off: z.number().nullable(),
  amount_off: z.number().int().nullable(),
  currency: z.string().nullable(),
  duration: z.string(),
  duration_in_months: z.number().int().nullable(),
  max_redemptions: z.number().int().nullable(),
  times_redeemed: z.number().int(),
  valid: z.boolean(),
});
export const coupon = (c: Stripe.Coupon): z.input<typeof couponShape> => ({
  id: c.id,
  name: c.name,
  percent_off: c.percent_off,
  amount_off: c.amount_off,
  currency: c.currency,
  duration: c.duration,
  duration_in_months: c.duration_in_months,
  max_redemptions: c.max_redemptions,
  times_redeemed: c.times_redeemed,
  valid: c.valid,
});

const lastError = z
  .object({
    code: z.string().nullable(),
    decline_code: z.string().nullable(),
    message: z.string().nullable(),
  })
  .nullable();

export const paymentIntentShape = z.object({
  id,
  status: z.string(),
  amount: z.number().int(),
  amount_received: z.number().int(),
  amount_capturable: z.number().int(),
  currency: z.string(),
  customer: nullableId,
  payment_method: nullableId,
  capture_method: z.string(),
  description: z.string().nullable(),
  latest_charge: nullableId,
  next_action: z.string().nullable().describe('Type of action the customer must take, if any'),
  last_payment_error: lastError,
  cancellation_reason: z.string().nullable(),
  created: ts,
  metadata,
});
/**
 * What the customer must do for a payment intent waiting on them (`requires_action`), and where:
 * only the cardholder can pass their bank's 3-D Secure check, so the agent's part is the link.
 */
export function nextActionAdvice(pi: Pick<Stripe.PaymentIntent, 'id' | 'next_action'>): string | null {
  const next = pi.next_action;
  if (!next) return null;
  const tail = 'Nobody else can authenticate for them; get_payment_status shows when it succeeds.';
  if (next.type === 'redirect_to_url' && next.redirect_to_url?.url)
    return `The customer's bank asks them to authenticate this payment (3-D Secure). Send the customer this link to open in their browser: ${next.redirect_to_url.url} . They approve the payment with their bank and come back to ${next.redirect_to_url.return_url ?? 'the return_url'}. ${tail}`;
  if (next.type === 'use_stripe_sdk')
    return `The customer's bank asks them to authenticate this payment (3-D Secure) in their browser. To get a link to send them, confirm it again with a return_url (POST /v1/payment_intents/${pi.id}/confirm); or take the payment with a Checkout Session (create_checkout_session) and send its url. ${tail}`;
  return `The payment waits for the customer (next_action ${next.type}): see the PaymentIntent's next_action for what they must do.`;
}

export const paymentIntent = (pi: Stripe.PaymentIntent): z.input<typeof paymentIntentShape> => ({
  id: pi.id,
  status: pi.status,
  amount: pi.amount,
  amount_received: pi.amount_received,
  amount_capturable: pi.amount_capturable,
  currency: pi.currency,
  customer: idOf(pi.customer),
  payment_method: idOf(pi.payment_method),
  capture_method: pi.capture_method,
  description: pi.description,
  latest_charge: idOf(pi.latest_charge),
  next_action: pi.next_action?.type ?? null,
  last_payment_error: pi.last_payment_error
    ? {
        code: pi.last_payment_error.code ?? null,
        decline_code: pi.last_payment_error.decline_code ?? null,
        message: pi.last_payment_error.message ?? null,
      }
    : null,
  cancellation_reason: pi.cancellation_reason,
  created: pi.created,
  metadata: pi.metadata,
});

export const paymentMethodShape = z.object({
  id,
  type: z.string(),
  customer: nullableId,
  card: z
    .object({
      brand: z.string(),
      last4: z.string(),
      exp_month: z.number().int(),
      exp_year: z.number().int(),
      funding: z.string(),
    })
    .nullable(),
  created: ts,
});
export const paymentMethod = (pm: Stripe.PaymentMethod): z.input<typeof paymentMethodShape> => ({
  id: pm.id,
  type: pm.type,
  customer: idOf(pm.customer),
  card: pm.card
    ? {
        brand: pm.card.brand,
        last4: pm.card.last4,
        exp_month: pm.card.exp_month,
        exp_year: pm.card.exp_year,
        funding: pm.card.funding,
      }
    : null,
  created: pm.created,
});

export const refundShape = z.object({
  id,
  status: z.string().nullable(),
  amount: z.number().int(),
  currency: z.string(),
  payment_intent: nullableId,
  charge: nullableId,
  reason: z.string().nullable(),
  created: ts,
  metadata: metadata.nullable(),
});
export const refund = (r: Stripe.Refund): z.input<typeof refundShape> => ({
  id: r.id,
  status: r.status,
  amount: r.amount,
  currency: r.currency,
  payment_intent: idOf(r.payment_intent),
  charge: idOf(r.charge),
  reason: r.reason,
  created: r.created,
  metadata: r.metadata,
});

export const invoiceShape = z.object({
  id,
  status: z.string().nullable(),
  number: z.string().nullable(),
  customer: nullableId,
  subscription: nullableId,
  currency: z.string(),
  total: z.number().int(),
  amount_due: z.number().int(),
  amount_paid: z.number().int(),
  amount_remaining: z.number().int(),
  collection_method: z.string(),
  due_date: ts,
  hosted_invoice_url: z.string().nullable().describe('Page where the customer can pay'),
  invoice_pdf: z.string().nullable(),
  description: z.string().nullable(),
  line_count: z.number().int(),
  created: ts,
  metadata: metadata.nullable(),
});
export const invoice = (inv: Stripe.Invoice): z.input<typeof invoiceShape> => ({
  id: inv.id ?? '',
  status: inv.status,
  number: inv.number,
  customer: idOf(inv.customer),
  subscription: idOf(inv.parent?.subscription_details?.subscription ?? null),
  currency: inv.currency,
  total: inv.total,
  amount_due: inv.amount_due,
  amount_paid: inv.amount_paid,
  amount_remaining: inv.amount_remaining,
  collection_method: inv.collection_method,
  due_date: inv.due_date,
  hosted_invoice_url: inv.hosted_invoice_url ?? null,
  invoice_pdf: inv.invoice_pdf ?? null,
  description: inv.description,
  line_count: inv.lines?.data.length ?? 0,
  created: inv.created,
  metadata: inv.metadata,
});

export const invoiceItemShape = z.object({
  id,
  customer: nullableId,
  invoice: nullableId,
  amount: z.number().int(),
  currency: z.string(),
  quantity: z.number().int(),
  price: nullableId,
  description: z.string().nullable(),
  metadata: metadata.nullable(),
});
export const invoiceItem = (ii: Stripe.InvoiceItem): z.input<typeof invoiceItemShape> => ({
  id: ii.id,
  customer: idOf(ii.customer),
  invoice: idOf(ii.invoice),
  amount: ii.amount,
  currency: ii.currency,
  quantity: ii.quantity,
  price: idOf(ii.pricing?.price_details?.price ?? null),
  description: ii.description,
  metadata: ii.metadata,
});

export const subscriptionShape = z.object({
  id,
  status: z.string(),
  customer: id,
  current_period_start: ts,
  current_period_end: ts.describe(
    'Unix seconds; the subscription renews (or ends, if cancel_at_period_end) then',
  ),
  cancel_at_period_end: z.boolean(),
  cancel_at: ts,
  canceled_at: ts,
  ended_at: ts,
  trial_end: ts,
  default_payment_method: nullableId,
  items: z.array(
    z.object({
      id,
      price: id,
      product: id,
      quantity: z.number().int().nullable(),
      unit_amount: z.number().int().nullable(),
      currency: z.string(),
      interval: z.string().nullable(),
    }),
  ),
  latest_invoice: z
    .object({
      id,
      status: z.string().nullable(),
      amount_due: z.number().int(),
      hosted_invoice_url: z.string().nullable(),
    })
    .nullable(),
  created: ts,
  metadata,
});
export const subscription = (s: Stripe.Subscription): z.input<typeof subscriptionShape> => {
  const first = s.items.data[0];
  const inv = s.latest_invoice && typeof s.latest_invoice === 'object' ? s.latest_invoice : null;
  return {
    id: s.id,
    status: s.status,
    customer: idOf(s.customer) ?? '',
    current_period_start: first?.current_period_start ?? null,
    current_period_end: first?.current_period_end ?? null,
    cancel_at_period_end: s.cancel_at_period_end,
    cancel_at: s.cancel_at,
    canceled_at: s.canceled_at,
    ended_at: s.ended_at,
    trial_end: s.trial_end,
    default_payment_method: idOf(s.default_payment_method),
    items: s.items.data.map((it) => ({
      id: it.id,
      price: it.price.id,
      product: idOf(it.price.product) ?? '',
      quantity: it.quantity ?? null,
      unit_amount: it.price.unit_amount,
      currency: it.price.currency,
      interval: it.price.recurring?.interval ?? null,
    })),
    latest_invoice: inv
      ? {
          id: inv.id ?? '',
          status: inv.status,
          amount_due: inv.amount_due,
          hosted_invoice_url: inv.hosted_invoice_url ?? null,
        }
      : typeof s.latest_invoice === 'string'
        ? { id: s.latest_invoice, status: null, amount_due: 0, hosted_invoice_url: null }
        : null,
    created: s.created,
    metadata: s.metadata,
  };
};

export const disputeShape = z.object({
  id,
  status: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  reason: z.string(),
  charge: nullableId,
  payment_intent: nullableId,
  evidence_due_by: ts,
  has_evidence: z.boolean(),
  submission_count: z.number().int(),
  created: ts,
  metadata,
});
export const dispute = (d: Stripe.Dispute): z.input<typeof disputeShape> => ({
  id: d.id,
  status: d.status,
  amount: d.amount,
  currency: d.currency,
  reason: d.reason,
  charge: idOf(d.charge),
  payment_intent: idOf(d.payment_intent),
  evidence_due_by: d.evidence_details?.due_by ?? null,
  has_evidence: d.evidence_details?.has_evidence ?? false,
  submission_count: d.evidence_details?.submission_count ?? 0,
  created: d.created,
  metadata: d.metadata,
});
