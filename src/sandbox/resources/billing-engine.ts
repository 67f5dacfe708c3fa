import type Stripe from 'stripe';
import { idOf } from '../../util/ids.js';
import { invalid, SandboxError } from '../errors.js';
import { bool, str, type Params } from '../params.js';
import { built, newId, wireDecimal, type AccountStore, type Stored } from '../store.js';
import { confirm, createPaymentIntent } from './payment-intents.js';

// The billing engine: invoices from lines (subscriptions, invoice items, one-off), discounts,
// finalizing and paying them. Routes live in subscriptions.ts, invoices.ts and invoice-items.ts.
export type Recurring = Pick<Stripe.Price.Recurring, 'interval' | 'interval_count'>;

export function addInterval(start: number, r: Recurring): number {
  const d = new Date(start * 1000);
  const n = r.interval_count;
  if (r.interval === 'day') d.setUTCDate(d.getUTCDate() + n);
  else if (r.interval === 'week') d.setUTCDate(d.getUTCDate() + 7 * n);
  else if (r.interval === 'month') d.setUTCMonth(d.getUTCMonth() + n);
  else d.setUTCFullYear(d.getUTCFullYear() + n);
  return Math.floor(d.getTime() / 1000);
}

export interface Line {
  amount: number;
  currency: string;
  description: string | null;
  price: Stripe.Price | null;
  quantity: number;
  period: { start: number; end: number };
  parent: Stripe.InvoiceLineItem.Parent;
}

export function lineObject(
  store: AccountStore,
  invoiceId: string,
  l: Line,
  subscription: string | null,
): Stored<'line_item'> {
  return built('line_item', {
    id: `il_${invoiceId.slice(3)}_${Math.random().toString(36).slice(2, 8)}`,
    object: 'line_item',
    amount: l.amount,
    currency: l.currency,
    description: l.description,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: invoiceId,
    livemode: false,
    metadata: {},
    parent: l.parent,
    period: l.period,
    pretax_credit_amounts: [],
    pricing: l.price
      ? {
          price_details: { price: l.price.id, product: idOf(l.price.product) },
          type: 'price_details',
          unit_amount_decimal: wireDecimal(String(l.price.unit_amount)),
        }
      : null,
    quantity: l.quantity,
    subscription,
    subtotal: l.amount,
    taxes: [],
  });
}

export function discountAmount(
  store: AccountStore,
  couponId: string | undefined,
  subtotal: number,
  cur: string,
  param: string,
  { redeem = true }: { redeem?: boolean } = {},
): number {
  if (!couponId) return 0;
  const coupon = store.require('coupon', couponId, param);
  if (coupon.amount_off !== null && coupon.currency !== cur) {
    throw invalid(
      `The coupon ${couponId} is in ${String(coupon.currency)} but the invoice is in ${cur}.`,
      param,
    );
  }
  // Redeemed once when applied; a subscription's later invoices use the same redemption.
  if (redeem) coupon.times_redeemed += 1;
  const off =
    coupon.percent_off !== null
      ? Math.round((subtotal * coupon.percent_off) / 100)
      : (coupon.amount_off ?? 0);
  return Math.min(subtotal, off);
}

/**
 * A coupon applied to a subscription, kept as Stripe keeps it: a Discount on the subscription, with
 * the end of a `repeating` coupon's months (`forever` and `once` have none; `once` is dropped after
 * the first invoice, see `runningCoupon`).
 */
export function subscriptionDiscount(
  store: AccountStore,
  couponId: string,
  sub: { id: string; customer: string; start: number },
): Stored<'discount'> {
  const coupon = store.require('coupon', couponId);
  const end =
    coupon.duration === 'repeating'
      ? addInterval(sub.start, { interval: 'month', interval_count: coupon.duration_in_months ?? 1 })
      : null;
  return store.create('di', 'discount', {
    checkout_session: null,
    customer: sub.customer,
    customer_account: null,
    end,
    invoice: null,
    invoice_item: null,
    promotion_code: null,
    source: { coupon: couponId, type: 'coupon' },
    start: sub.start,
    subscription: sub.id,
    subscription_item: null,
  });
}

/**
 * The coupon a subscription's invoice at `at` gets: its discount's, while it runs. A `once` coupon or
 * an ended `repeating` one is taken off the subscription here, as Stripe does at the next invoice.
 */
export function runningCoupon(
  store: AccountStore,
  sub: Stored<'subscription'>,
  at: number,
): string | undefined {
  const id = idOf(sub.discounts[0] ?? null);
  const discount = id ? store.get(id) : undefined;
  if (!discount) return undefined;
  const couponId = idOf((discount.source as { coupon: string | null }).coupon);
  const coupon = couponId ? store.get(couponId) : undefined;
  const ended = (discount.end as number | null) !== null && at >= (discount.end as number);
  if (!coupon || ended || coupon.duration === 'once') {
    sub.discounts = [];
    return undefined;
  }
  return coupon.id;
}

interface InvoiceSpec {
  customer: Stored<'customer'>;
  currency: string;
  lines: Line[];
  subscription: string | null;
  billingReason: string;
  collectionMethod: string;
  daysUntilDue: number | null;
  description: string | null;
  metadata: Record<string, string>;
  autoAdvance: boolean;
  discount: number;
  defaultPaymentMethod: string | null;
}

export function createInvoice(store: AccountStore, spec: InvoiceSpec): Stored<'invoice'> {
  const subtotal = spec.lines.reduce((s, l) => s + l.amount, 0);
  const total = subtotal - spec.discount;
  const now = store.now();
  const inv = store.create('in', 'invoice', {
    account_country: 'US',
    account_name: 'mcp-stripe sandbox',
    amount_due: total,
    amount_paid: 0,
    amount_remaining: total,
    attempt_count: 0,
    attempted: false,
    auto_advance: spec.autoAdvance,
    billing_reason: spec.billingReason,
    collection_method: spec.collectionMethod,
    currency: spec.currency,
    customer: spec.customer.id,
    customer_email: spec.customer.email,
    customer_name: spec.customer.name,
    default_payment_method: spec.defaultPaymentMethod,
    description: spec.description,
    discounts: [],
    due_date: spec.collectionMethod === 'send_invoice' ? now + (spec.daysUntilDue ?? 30) * 86400 : null,
    effective_at: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    lines: { object: 'list', data: [], has_more: false, url: '' },
    metadata: spec.metadata,
    number: null,
    parent: spec.subscription
      ? {
          quote_details: null,
          subscription_details: { metadata: {}, subscription: spec.subscription },
          type: 'subscription_details',
        }
      : null,
    period_end: now,
    period_start: now,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal,
    total,
    total_discount_amounts: spec.discount ? [{ amount: spec.discount, discount: newId('di') }] : [],
  });
  inv.lines.data = spec.lines.map((l) => lineObject(store, inv.id, l, spec.subscription));
  inv.lines.url = `/v1/invoices/${inv.id}/lines`;
  store.emit('invoice.created', inv);
  return inv;
}

export function recompute(inv: Stored<'invoice'>): void {
  const subtotal = inv.lines.data.reduce((s, l) => s + l.amount, 0);
  const discount = inv.total_discount_amounts?.[0]?.amount ?? 0;
  inv.subtotal = subtotal;
  inv.total = Math.max(0, subtotal - discount);
  inv.amount_due = inv.total;
  inv.amount_remaining = inv.total - inv.amount_paid;
}

export function finalize(store: AccountStore, inv: Stored<'invoice'>): void {
  if (inv.status !== 'draft') {
    throw invalid(
      `This invoice is already finalized, you can't re-finalize a non-draft invoice.`,
      undefined,
      'invoice_not_editable',
    );
  }
  const customer = store.requireRef('customer', inv.customer);
  const seq = customer.next_invoice_sequence ?? 1;
  customer.next_invoice_sequence = seq + 1;
  inv.number = `${customer.invoice_prefix ?? 'INV'}-${String(seq).padStart(4, '0')}`;
  const now = store.now();
  inv.status = 'open';
  inv.effective_at = now;
  inv.hosted_invoice_url = `https://invoice.stripe.com/i/acct_sandbox/test_${inv.id.slice(3)}`;
  inv.invoice_pdf = `${inv.hosted_invoice_url}/pdf`;
  inv.status_transitions.finalized_at = now;
  store.emit('invoice.finalized', inv);
  if (inv.amount_due === 0) markPaid(store, inv);
}

export function markPaid(store: AccountStore, inv: Stored<'invoice'>): void {
  inv.status = 'paid';
  inv.amount_paid = inv.amount_due;
  inv.amount_remaining = 0;
  inv.status_transitions.paid_at = store.now();
  store.emit('invoice.paid', inv);
  store.emit('invoice.payment_succeeded', inv);
}

/** Charges an open invoice. Returns the card error on decline (the invoice stays open). */
export function pay(
  store: AccountStore,
  inv: Stored<'invoice'>,
  paymentMethod: string | null,
  offSession: boolean,
): SandboxError | 'requires_action' | null {
  inv.attempted = true;
  inv.attempt_count += 1;
  if (!paymentMethod) {
    throw invalid(
      'This customer has no attached payment source or default payment method. Please consider adding a default payment method.',
      undefined,
      'invoice_no_customer_line_items',
    );
  }
  const pi = createPaymentIntent(
    store,
    {
      amount: String(inv.amount_due),
      currency: inv.currency,
      customer: idOf(inv.customer),
      payment_method: paymentMethod,
      description: `Payment for Invoice ${inv.number ?? inv.id}`,
    },
    true,
  );
  try {
    confirm(store, pi, offSession ? { off_session: 'true' } : {});
  } catch (err) {
    if (err instanceof SandboxError && err.status === 402) {
      store.emit('invoice.payment_failed', inv);
      return err;
    }
    throw err;
  }
  if (pi.status === 'requires_action') {
    store.emit('invoice.payment_action_required', inv);
    return 'requires_action';
  }
  markPaid(store, inv);
  return null;
}

export function customerDefaultPm(customer: Stored<'customer'>): string | null {
  const pm = customer.invoice_settings?.default_payment_method;
  return pm ? idOf(pm) : null;
}

/** `POST /v1/invoices/:id/pay`: charge the invoice's, subscription's or customer's payment method. */
export function payInvoice(store: AccountStore, inv: Stored<'invoice'>, params: Params): Stored<'invoice'> {
  if (inv.status === 'draft') finalize(store, inv);
  if (inv.status !== 'open')
    throw invalid(`Invoice is already ${inv.status ?? 'closed'}.`, undefined, 'invoice_not_open');
  if (bool(params, 'paid_out_of_band')) {
    markPaid(store, inv);
    return inv;
  }
  const customer = store.requireRef('customer', inv.customer);
  const subId = inv.parent?.subscription_details?.subscription;
  const sub = store.find('subscription', subId ? idOf(subId) : null);
  const subPm = sub?.default_payment_method ? idOf(sub.default_payment_method) : null;
  const invPm = inv.default_payment_method ? idOf(inv.default_payment_method) : null;
  const pm = str(params, 'payment_method') ?? invPm ?? subPm ?? customerDefaultPm(customer);
  const outcome = pay(store, inv, pm, bool(params, 'off_session') ?? true);
  if (outcome instanceof SandboxError) throw outcome;
  if (sub && inv.status === 'paid') {
    if (['incomplete', 'past_due', 'unpaid'].includes(sub.status)) {
      const previous = { status: sub.status };
      sub.status = 'active';
      store.emit('customer.subscription.updated', sub, previous);
    }
  }
  return inv;
}

export function attachItem(store: AccountStore, inv: Stored<'invoice'>, ii: Stored<'invoiceitem'>): void {
  ii.invoice = inv.id;
  const priceId = ii.pricing?.price_details?.price;
  const price = store.find('price', priceId ? idOf(priceId) : null) ?? null;
  inv.lines.data.push(
    lineObject(
      store,
      inv.id,
      {
        amount: ii.amount,
        currency: ii.currency,
        description: ii.description,
        price,
        quantity: ii.quantity ?? 1,
        period: ii.period,
        parent: {
          invoice_item_details: {
            invoice_item: ii.id,
            proration: false,
            proration_details: null,
            subscription: null,
          },
          subscription_item_details: null,
          type: 'invoice_item_details',
        },
      },
      null,
    ),
  );
  recompute(inv);
}
