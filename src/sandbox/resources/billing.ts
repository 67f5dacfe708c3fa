import type { RouteTable } from '../app.js';
import { invalid, SandboxError } from '../errors.js';
import { arr, bool, currency, int, metadata, obj, str, type Params } from '../params.js';
import { paginate, type AccountStore, type StripeObject } from '../store.js';
import { requireActivePrice } from './catalog.js';
import { listRoute, retrieveRoute } from './common.js';
import { confirm, createPaymentIntent } from './payments.js';

type Recurring = { interval: 'day' | 'week' | 'month' | 'year'; interval_count: number };

export function addInterval(start: number, r: Recurring): number {
  const d = new Date(start * 1000);
  const n = r.interval_count;
  if (r.interval === 'day') d.setUTCDate(d.getUTCDate() + n);
  else if (r.interval === 'week') d.setUTCDate(d.getUTCDate() + 7 * n);
  else if (r.interval === 'month') d.setUTCMonth(d.getUTCMonth() + n);
  else d.setUTCFullYear(d.getUTCFullYear() + n);
  return Math.floor(d.getTime() / 1000);
}

interface Line {
  amount: number;
  currency: string;
  description: string | null;
  price: StripeObject | null;
  quantity: number;
  period: { start: number; end: number };
  parent: Record<string, unknown>;
}

function lineObject(
  store: AccountStore,
  invoiceId: string,
  l: Line,
  subscription: string | null,
): Record<string, unknown> {
  return {
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
          price_details: { price: l.price.id, product: l.price.product },
          type: 'price_details',
          unit_amount_decimal: String(l.price.unit_amount),
        }
      : null,
    quantity: l.quantity,
    subscription,
    subtotal: l.amount,
    taxes: [],
  };
}

function discountAmount(
  store: AccountStore,
  couponId: string | undefined,
  subtotal: number,
  cur: string,
  param: string,
): number {
  if (!couponId) return 0;
  const coupon = store.require('coupon', couponId, param);
  if (coupon.amount_off !== null && coupon.currency !== cur) {
    throw invalid(
      `The coupon ${couponId} is in ${String(coupon.currency)} but the invoice is in ${cur}.`,
      param,
    );
  }
  coupon.times_redeemed = (coupon.times_redeemed as number) + 1;
  const off =
    coupon.percent_off !== null
      ? Math.round((subtotal * (coupon.percent_off as number)) / 100)
      : (coupon.amount_off as number);
  return Math.min(subtotal, off);
}

interface InvoiceSpec {
  customer: StripeObject;
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

export function createInvoice(store: AccountStore, spec: InvoiceSpec): StripeObject {
  const subtotal = spec.lines.reduce((s, l) => s + l.amount, 0);
  const total = subtotal - spec.discount;
  const now = store.now();
  const inv = store.create<StripeObject>('in', 'invoice', {
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
    total_discount_amounts: spec.discount ? [{ amount: spec.discount, discount: null }] : [],
  });
  const lines = inv.lines as Record<string, unknown>;
  lines.data = spec.lines.map((l) => lineObject(store, inv.id, l, spec.subscription));
  lines.url = `/v1/invoices/${inv.id}/lines`;
  store.emit('invoice.created', inv);
  return inv;
}

function recompute(inv: StripeObject): void {
  const data = (inv.lines as { data: { amount: number }[] }).data;
  const subtotal = data.reduce((s, l) => s + l.amount, 0);
  const discount = (inv.total_discount_amounts as { amount: number }[])[0]?.amount ?? 0;
  inv.subtotal = subtotal;
  inv.total = Math.max(0, subtotal - discount);
  inv.amount_due = inv.total;
  inv.amount_remaining = (inv.total as number) - (inv.amount_paid as number);
}

export function finalize(store: AccountStore, inv: StripeObject): void {
  if (inv.status !== 'draft') {
    throw invalid(
      `This invoice is already finalized, you can't re-finalize a non-draft invoice.`,
      undefined,
      'invoice_not_editable',
    );
  }
  const customer = store.require('customer', inv.customer as string);
  const seq = (customer.next_invoice_sequence as number) ?? 1;
  customer.next_invoice_sequence = seq + 1;
  inv.number = `${String(customer.invoice_prefix)}-${String(seq).padStart(4, '0')}`;
  const now = store.now();
  inv.status = 'open';
  inv.effective_at = now;
  inv.hosted_invoice_url = `https://invoice.stripe.com/i/acct_sandbox/test_${inv.id.slice(3)}`;
  inv.invoice_pdf = `${inv.hosted_invoice_url as string}/pdf`;
  (inv.status_transitions as Record<string, unknown>).finalized_at = now;
  store.emit('invoice.finalized', inv);
  if (inv.amount_due === 0) markPaid(store, inv);
}

function markPaid(store: AccountStore, inv: StripeObject): void {
  inv.status = 'paid';
  inv.amount_paid = inv.amount_due;
  inv.amount_remaining = 0;
  (inv.status_transitions as Record<string, unknown>).paid_at = store.now();
  store.emit('invoice.paid', inv);
  store.emit('invoice.payment_succeeded', inv);
}

/** Charges an open invoice. Returns the card error on decline (the invoice stays open). */
export function pay(
  store: AccountStore,
  inv: StripeObject,
  paymentMethod: string | null,
  offSession: boolean,
): SandboxError | 'requires_action' | null {
  inv.attempted = true;
  inv.attempt_count = (inv.attempt_count as number) + 1;
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
      customer: inv.customer,
      payment_method: paymentMethod,
      description: `Payment for Invoice ${String(inv.number)}`,
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

export function customerDefaultPm(customer: StripeObject): string | null {
  return (
    ((customer.invoice_settings as Record<string, unknown>)?.default_payment_method as string | null) ?? null
  );
}

function subscriptionItems(store: AccountStore, params: Params): { price: StripeObject; quantity: number }[] {
  const items = arr(params, 'items');
  if (!items || items.length === 0)
    throw invalid('Missing required param: items.', 'items', 'parameter_missing');
  const out = items.map((raw, i) => {
    const it = (raw ?? {}) as Params;
    const param = `items[${i}][price]`;
    const priceId = str(it, 'price');
    if (!priceId) throw invalid(`Missing required param: ${param}.`, param, 'parameter_missing');
    const price = requireActivePrice(store, priceId, param);
    if (price.type !== 'recurring') {
      throw invalid(
        `The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`,
        param,
      );
    }
    return { price, quantity: int(it, 'quantity', { min: 0 }) ?? 1 };
  });
  const first = out[0]!.price;
  for (const { price } of out) {
    const a = first.recurring as Recurring;
    const b = price.recurring as Recurring;
    if (price.currency !== first.currency)
      throw invalid('All prices on a subscription must have the same currency.', 'items');
    if (a.interval !== b.interval || a.interval_count !== b.interval_count) {
      throw invalid(
        'All prices on a subscription must have the same `recurring.interval` and `recurring.interval_count`.',
        'items',
      );
    }
  }
  return out;
}

function itemObject(
  store: AccountStore,
  subId: string,
  price: StripeObject,
  quantity: number,
  start: number,
  end: number,
): Record<string, unknown> {
  return {
    id: `si_${Math.random().toString(36).slice(2, 16)}`,
    object: 'subscription_item',
    created: store.now(),
    current_period_end: end,
    current_period_start: start,
    discounts: [],
    metadata: {},
    price: structuredClone(price),
    quantity,
    subscription: subId,
    tax_rates: [],
  };
}

export function subscriptionLines(sub: StripeObject): Line[] {
  return (sub.items as { data: Record<string, unknown>[] }).data.map((it) => {
    const price = it.price as StripeObject;
    const quantity = it.quantity as number;
    return {
      amount: (price.unit_amount as number) * quantity,
      currency: price.currency as string,
      description: `${quantity} × ${String(price.nickname ?? price.product)}`,
      price,
      quantity,
      period: { start: it.current_period_start as number, end: it.current_period_end as number },
      parent: {
        subscription_item_details: { subscription: sub.id, subscription_item: it.id, proration: false },
        type: 'subscription_item_details',
      },
    };
  });
}

export function createSubscription(store: AccountStore, params: Params): StripeObject {
  const customerId = str(params, 'customer', { required: true });
  const customer = store.require('customer', customerId, 'customer');
  const items = subscriptionItems(store, params);
  const behavior =
    str(params, 'payment_behavior', {
      oneOf: ['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete'],
    }) ?? 'allow_incomplete';
  const collection =
    str(params, 'collection_method', { oneOf: ['charge_automatically', 'send_invoice'] }) ??
    'charge_automatically';
  const daysUntilDue = int(params, 'days_until_due', { min: 0 });
  if (collection === 'send_invoice' && daysUntilDue === undefined) {
    throw invalid(
      'Missing required param: days_until_due (required when collection_method is send_invoice).',
      'days_until_due',
      'parameter_missing',
    );
  }
  const dpm = str(params, 'default_payment_method');
  if (dpm) {
    const pm = store.require('payment_method', dpm, 'default_payment_method');
    if (pm.customer !== customer.id)
      throw invalid(
        `The payment method ${dpm} is not attached to customer ${customer.id}.`,
        'default_payment_method',
      );
  }
  const coupon = str((arr(params, 'discounts')?.[0] ?? {}) as Params, 'coupon');
  if (coupon) store.require('coupon', coupon, 'discounts[0][coupon]');
  const now = store.now();
  const trialDays = int(params, 'trial_period_days', { min: 0, max: 730 });
  const trialEndParam = params.trial_end === 'now' ? now : int(params, 'trial_end', { min: now });
  const trialEnd = trialEndParam ?? (trialDays ? now + trialDays * 86400 : undefined);
  const recurring = items[0]!.price.recurring as Recurring;
  const periodEnd = trialEnd && trialEnd > now ? trialEnd : addInterval(now, recurring);
  const paymentMethod = dpm ?? customerDefaultPm(customer);
  if (
    collection === 'charge_automatically' &&
    !trialEnd &&
    !paymentMethod &&
    behavior !== 'default_incomplete'
  ) {
    throw invalid(
      'This customer has no attached payment source or default payment method. Please consider adding a default payment method, or pass payment_behavior=default_incomplete and collect payment with the returned invoice.',
      'default_payment_method',
      'resource_missing',
    );
  }
  const sub = store.create<StripeObject>('sub', 'subscription', {
    application: null,
    billing_cycle_anchor: periodEnd,
    cancel_at: null,
    cancel_at_period_end: bool(params, 'cancel_at_period_end') ?? false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, reason: null },
    collection_method: collection,
    currency: items[0]!.price.currency,
    customer: customer.id,
    days_until_due: daysUntilDue ?? null,
    default_payment_method: dpm ?? null,
    description: str(params, 'description') ?? null,
    discounts: [],
    ended_at: null,
    items: { object: 'list', data: [], has_more: false, total_count: 0, url: '' },
    latest_invoice: null,
    metadata: metadata(params),
    pause_collection: null,
    start_date: now,
    status: 'incomplete',
    trial_end: trialEnd ?? null,
    trial_start: trialEnd ? now : null,
  });
  const itemList = sub.items as Record<string, unknown>;
  itemList.data = items.map(({ price, quantity }) =>
    itemObject(store, sub.id, price, quantity, now, periodEnd),
  );
  itemList.total_count = items.length;
  itemList.url = `/v1/subscription_items?subscription=${sub.id}`;
  if (sub.cancel_at_period_end) sub.cancel_at = periodEnd;

  const trialing = trialEnd !== undefined && trialEnd > now;
  const lines = subscriptionLines(sub).map((l) =>
    trialing ? { ...l, amount: 0, description: `Trial period for ${l.description ?? ''}` } : l,
  );
  const subtotal = lines.reduce((s, l) => s + l.amount, 0);
  const inv = createInvoice(store, {
    customer,
    currency: sub.currency as string,
    lines,
    subscription: sub.id,
    billingReason: 'subscription_create',
    collectionMethod: collection,
    daysUntilDue: daysUntilDue ?? null,
    description: null,
    metadata: {},
    autoAdvance: true,
    discount: discountAmount(store, coupon, subtotal, sub.currency as string, 'discounts[0][coupon]'),
    defaultPaymentMethod: null,
  });
  sub.latest_invoice = inv.id;
  finalize(store, inv);
  if (inv.status === 'paid') {
    sub.status = trialing ? 'trialing' : 'active';
  } else if (collection === 'send_invoice') {
    sub.status = 'active';
  } else if (behavior !== 'default_incomplete') {
    const declined = pay(store, inv, paymentMethod, bool(params, 'off_session') ?? false);
    if (declined instanceof SandboxError && behavior === 'error_if_incomplete') {
      // As on Stripe: with error_if_incomplete a failed first payment creates no subscription.
      store.remove(sub.id);
      throw declined;
    }
    sub.status = declined ? 'incomplete' : 'active';
  }
  store.emit('customer.subscription.created', sub);
  return sub;
}

function updateSubscription(store: AccountStore, sub: StripeObject, params: Params): StripeObject {
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
    throw invalid(
      `A canceled subscription can only update its cancellation_details and metadata.`,
      undefined,
      'subscription_canceled',
    );
  }
  const previous: Record<string, unknown> = {};
  const items = arr(params, 'items');
  if (items) {
    previous.items = structuredClone(sub.items);
    const list = (sub.items as { data: Record<string, unknown>[] }).data;
    const first = list[0]!;
    items.forEach((raw, i) => {
      const it = (raw ?? {}) as Params;
      const id = str(it, 'id');
      const priceId = str(it, 'price');
      const quantity = int(it, 'quantity', { min: 0 });
      const price = priceId ? requireActivePrice(store, priceId, `items[${i}][price]`) : undefined;
      if (price && price.type !== 'recurring')
        throw invalid(
          'The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.',
          `items[${i}][price]`,
        );
      if (id) {
        const existing = list.find((x) => x.id === id);
        if (!existing)
          throw invalid(`No such subscription item: '${id}'`, `items[${i}][id]`, 'resource_missing');
        if (bool(it, 'deleted')) list.splice(list.indexOf(existing), 1);
        if (price) existing.price = structuredClone(price);
        if (quantity !== undefined) existing.quantity = quantity;
      } else {
        if (!price)
          throw invalid(
            `Missing required param: items[${i}][price] (or items[${i}][id] to change an existing item).`,
            `items[${i}][price]`,
            'parameter_missing',
          );
        list.push(
          itemObject(
            store,
            sub.id,
            price,
            quantity ?? 1,
            first.current_period_start as number,
            first.current_period_end as number,
          ),
        );
      }
    });
    if (list.length === 0) throw invalid('A subscription must have at least one item.', 'items');
  }
  const cape = bool(params, 'cancel_at_period_end');
  if (cape !== undefined) {
    previous.cancel_at_period_end = sub.cancel_at_period_end;
    sub.cancel_at_period_end = cape;
    const end = (sub.items as { data: Record<string, unknown>[] }).data[0]!.current_period_end as number;
    sub.cancel_at = cape ? end : null;
    sub.canceled_at = cape ? store.now() : null;
  }
  const cd = obj(params, 'cancellation_details');
  if (cd)
    sub.cancellation_details = {
      ...(sub.cancellation_details as object),
      comment: str(cd, 'comment') ?? null,
      feedback: str(cd, 'feedback') ?? null,
    };
  if (params.trial_end === 'now' && sub.status === 'trialing') {
    previous.status = sub.status;
    sub.trial_end = store.now();
    sub.status = 'active';
  }
  const dpm = str(params, 'default_payment_method');
  if (dpm) {
    const pm = store.require('payment_method', dpm, 'default_payment_method');
    if (pm.customer !== sub.customer)
      throw invalid(
        `The payment method ${dpm} is not attached to customer ${String(sub.customer)}.`,
        'default_payment_method',
      );
    sub.default_payment_method = dpm;
  }
  if ('description' in params) sub.description = str(params, 'description') ?? null;
  if ('metadata' in params) {
    previous.metadata = sub.metadata;
    sub.metadata = metadata(params, sub.metadata as Record<string, string>);
  }
  str(params, 'proration_behavior', { oneOf: ['always_invoice', 'create_prorations', 'none'] });
  store.emit('customer.subscription.updated', sub, previous);
  return sub;
}

/** `POST /v1/invoices/:id/pay`: charge the invoice's, subscription's or customer's payment method. */
export function payInvoice(store: AccountStore, inv: StripeObject, params: Params): StripeObject {
  if (inv.status === 'draft') finalize(store, inv);
  if (inv.status !== 'open')
    throw invalid(`Invoice is already ${String(inv.status)}.`, undefined, 'invoice_not_open');
  if (bool(params, 'paid_out_of_band')) {
    markPaid(store, inv);
    return inv;
  }
  const customer = store.require('customer', inv.customer as string);
  const sub = (inv.parent as { subscription_details?: { subscription: string } } | null)?.subscription_details
    ?.subscription;
  const subPm = sub ? (store.get(sub)?.default_payment_method as string | null) : null;
  const pm =
    str(params, 'payment_method') ??
    (inv.default_payment_method as string | null) ??
    subPm ??
    customerDefaultPm(customer);
  const outcome = pay(store, inv, pm, bool(params, 'off_session') ?? true);
  if (outcome instanceof SandboxError) throw outcome;
  if (sub && (inv.status as string) === 'paid') {
    const s = store.get(sub);
    if (s && ['incomplete', 'past_due', 'unpaid'].includes(s.status as string)) {
      const previous = { status: s.status };
      s.status = 'active';
      store.emit('customer.subscription.updated', s, previous);
    }
  }
  return inv;
}

export function billingRoutes(routes: RouteTable): void {
  routes.add('POST', '/v1/subscriptions', ({ store, params }) => createSubscription(store, params));
  retrieveRoute(routes, '/v1/subscriptions/:id', 'subscription');
  routes.add('POST', '/v1/subscriptions/:id', ({ store, path, params }) => {
    const sub = store.require('subscription', path.id!);
    const snapshot = structuredClone(sub);
    try {
      return updateSubscription(store, sub, params);
    } catch (err) {
      Object.assign(sub, snapshot);
      throw err;
    }
  });
  routes.add('DELETE', '/v1/subscriptions/:id', ({ store, path, params }) => {
    const sub = store.require('subscription', path.id!);
    if (sub.status === 'canceled') {
      throw invalid(`No such subscription: '${sub.id}' (it is already canceled).`, 'id', 'resource_missing');
    }
    const cd = obj(params, 'cancellation_details');
    const now = store.now();
    sub.status = 'canceled';
    sub.canceled_at = now;
    sub.ended_at = now;
    sub.cancel_at_period_end = false;
    sub.cancellation_details = {
      comment: cd ? (str(cd, 'comment') ?? null) : null,
      feedback: cd ? (str(cd, 'feedback') ?? null) : null,
      reason: 'cancellation_requested',
    };
    store.emit('customer.subscription.deleted', sub);
    return sub;
  });
  listRoute(routes, '/v1/subscriptions', 'subscription', ['customer', 'collection_method'], (s, params) => {
    const status = str(params, 'status', {
      oneOf: [
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
      ],
    });
    const price = str(params, 'price');
    const statusOk =
      status === 'all' ||
      (status === undefined
        ? s.status !== 'canceled'
        : status === 'ended'
          ? s.status === 'canceled'
          : s.status === status);
    const priceOk =
      !price || (s.items as { data: { price: { id: string } }[] }).data.some((i) => i.price.id === price);
    return statusOk && priceOk;
  });

  routes.add('POST', '/v1/invoices', ({ store, params }) => {
    const customer = store.require('customer', str(params, 'customer', { required: true }), 'customer');
    const collection =
      str(params, 'collection_method', { oneOf: ['charge_automatically', 'send_invoice'] }) ??
      'charge_automatically';
    const daysUntilDue = int(params, 'days_until_due', { min: 0 });
    if (collection === 'send_invoice' && daysUntilDue === undefined && !('due_date' in params)) {
      throw invalid(
        'Missing required param: days_until_due (or due_date) when collection_method is send_invoice.',
        'days_until_due',
        'parameter_missing',
      );
    }
    const include =
      (str(params, 'pending_invoice_items_behavior', { oneOf: ['exclude', 'include'] }) ?? 'exclude') ===
      'include';
    const subscription = str(params, 'subscription');
    if (subscription) store.require('subscription', subscription, 'subscription');
    const cur = str(params, 'currency')?.toLowerCase() ?? (customer.currency as string | null) ?? 'usd';
    const inv = createInvoice(store, {
      customer,
      currency: cur,
      lines: [],
      subscription: subscription ?? null,
      billingReason: 'manual',
      collectionMethod: collection,
      daysUntilDue: daysUntilDue ?? null,
      description: str(params, 'description') ?? null,
      metadata: metadata(params),
      autoAdvance: bool(params, 'auto_advance') ?? false,
      discount: 0,
      defaultPaymentMethod: str(params, 'default_payment_method') ?? null,
    });
    if (include) {
      for (const ii of store.all('invoiceitem')) {
        if (ii.customer === customer.id && ii.invoice === null && ii.currency === cur)
          attachItem(store, inv, ii);
      }
    }
    return inv;
  });
  retrieveRoute(routes, '/v1/invoices/:id', 'invoice');
  listRoute(routes, '/v1/invoices', 'invoice', ['customer', 'status', 'collection_method'], (inv, params) => {
    const sub = str(params, 'subscription');
    return (
      !sub ||
      (inv.parent as { subscription_details?: { subscription: string } } | null)?.subscription_details
        ?.subscription === sub
    );
  });
  routes.add('GET', '/v1/invoices/:id/lines', ({ store, path, params }) => {
    const inv = store.require('invoice', path.id!);
    const data = [...(inv.lines as { data: StripeObject[] }).data].reverse();
    return paginate(data, params, `/v1/invoices/${inv.id}/lines`);
  });
  routes.add('POST', '/v1/invoices/:id', ({ store, path, params }) => {
    const inv = store.require('invoice', path.id!);
    if (inv.status !== 'draft' && Object.keys(params).some((k) => k !== 'metadata')) {
      throw invalid(
        'You can only update metadata on a finalized invoice.',
        undefined,
        'invoice_not_editable',
      );
    }
    if ('description' in params) inv.description = str(params, 'description') ?? null;
    const aa = bool(params, 'auto_advance');
    if (aa !== undefined) inv.auto_advance = aa;
    if ('metadata' in params) inv.metadata = metadata(params, inv.metadata as Record<string, string>);
    store.emit('invoice.updated', inv);
    return inv;
  });
  routes.add('POST', '/v1/invoices/:id/finalize', ({ store, path }) => {
    const inv = store.require('invoice', path.id!);
    finalize(store, inv);
    return inv;
  });
  routes.add('POST', '/v1/invoices/:id/pay', ({ store, path, params }) =>
    payInvoice(store, store.require('invoice', path.id!), params),
  );
  routes.add('POST', '/v1/invoices/:id/void', ({ store, path }) => {
    const inv = store.require('invoice', path.id!);
    if (inv.status !== 'open')
      throw invalid(
        `You can only void an open invoice; this one is ${String(inv.status)}.`,
        undefined,
        'invoice_not_open',
      );
    inv.status = 'void';
    (inv.status_transitions as Record<string, unknown>).voided_at = store.now();
    store.emit('invoice.voided', inv);
    return inv;
  });

  routes.add('POST', '/v1/invoiceitems', ({ store, params }) => {
    const customer = store.require('customer', str(params, 'customer', { required: true }), 'customer');
    const pricing = obj(params, 'pricing');
    const priceId = pricing ? str(pricing, 'price') : undefined;
    const price = priceId ? requireActivePrice(store, priceId, 'pricing[price]') : null;
    const quantity = int(params, 'quantity', { min: 1 }) ?? 1;
    const amountParam = int(params, 'amount');
    if (!price && amountParam === undefined) {
      throw invalid(
        'You must pass either `amount` (with `currency`) or `pricing[price]`.',
        'amount',
        'parameter_missing',
      );
    }
    if (price && amountParam !== undefined)
      throw invalid('You may only specify one of these parameters: amount, pricing[price].', 'amount');
    const cur = price ? (price.currency as string) : currency(params);
    const amount = price ? (price.unit_amount as number) * quantity : amountParam!;
    const invoiceId = str(params, 'invoice');
    const inv = invoiceId ? store.require('invoice', invoiceId, 'invoice') : null;
    if (inv && inv.status !== 'draft')
      throw invalid(
        `Invoice ${inv.id} is not a draft; items can only be added to draft invoices.`,
        'invoice',
        'invoice_not_editable',
      );
    if (inv && inv.customer !== customer.id)
      throw invalid(`Invoice ${inv.id} belongs to another customer.`, 'invoice');
    if (inv && inv.currency !== cur)
      throw invalid(
        `The currency of this item (${cur}) does not match the invoice currency (${String(inv.currency)}).`,
        'currency',
      );
    const now = store.now();
    const ii = store.create<StripeObject>('ii', 'invoiceitem', {
      amount,
      currency: cur,
      customer: customer.id,
      date: now,
      description: str(params, 'description') ?? null,
      discountable: true,
      invoice: null,
      metadata: metadata(params),
      parent: null,
      period: { start: now, end: now },
      pricing: price
        ? {
            price_details: { price: price.id, product: price.product },
            type: 'price_details',
            unit_amount_decimal: String(price.unit_amount),
          }
        : null,
      proration: false,
      quantity,
    });
    if (inv) attachItem(store, inv, ii);
    store.emit('invoiceitem.created', ii);
    return ii;
  });
  retrieveRoute(routes, '/v1/invoiceitems/:id', 'invoiceitem');
  listRoute(routes, '/v1/invoiceitems', 'invoiceitem', ['customer', 'invoice']);
}

function attachItem(store: AccountStore, inv: StripeObject, ii: StripeObject): void {
  ii.invoice = inv.id;
  const price = ii.pricing
    ? (store.get((ii.pricing as { price_details: { price: string } }).price_details.price) ?? null)
    : null;
  (inv.lines as { data: unknown[] }).data.push(
    lineObject(
      store,
      inv.id,
      {
        amount: ii.amount as number,
        currency: ii.currency as string,
        description: ii.description as string | null,
        price,
        quantity: ii.quantity as number,
        period: ii.period as Line['period'],
        parent: {
          invoice_item_details: { invoice_item: ii.id, proration: false },
          type: 'invoice_item_details',
        },
      },
      null,
    ),
  );
  recompute(inv);
}
