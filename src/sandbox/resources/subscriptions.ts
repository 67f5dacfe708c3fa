import type Stripe from 'stripe';
import { idOf } from '../../util/ids.js';
import type { RouteTable } from '../app.js';
import { invalid, SandboxError } from '../errors.js';
import { arr, bool, int, metadata, obj, str, type Params } from '../params.js';
import { built, type AccountStore, type Stored } from '../store.js';
import {
  addInterval,
  createInvoice,
  customerDefaultPm,
  discountAmount,
  subscriptionDiscount,
  finalize,
  pay,
  type Line,
} from './billing-engine.js';
import { requireActivePrice } from './catalog.js';
import { listRoute, retrieveRoute } from './common.js';
import { endSubscription } from './subscription-cycle.js';
import { inCustomerTime } from './test-clocks.js';

// Subscriptions: items, trials, proration, cancellation; each period bills through the engine.
function subscriptionItems(
  store: AccountStore,
  params: Params,
): { price: Stored<'price'>; quantity: number }[] {
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
    const a = first.recurring!;
    const b = price.recurring!;
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
  price: Stripe.Price,
  quantity: number,
  start: number,
  end: number,
): Stored<'subscription_item'> {
  return built('subscription_item', {
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
  });
}

/** One invoice line for a subscription item: `quantity` units of its price over `period`. */
export function itemLine(
  sub: Stored<'subscription'>,
  it: Stripe.SubscriptionItem,
  quantity: number,
  period: { start: number; end: number },
): Line {
  const price = it.price;
  const unit = price.unit_amount ?? Number(price.unit_amount_decimal ?? 0);
  return {
    amount: Math.round(unit * quantity),
    currency: price.currency,
    description: `${quantity} × ${price.nickname ?? idOf(price.product)}`,
    price,
    quantity,
    period,
    parent: {
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: null,
        proration: false,
        proration_details: null,
        subscription: sub.id,
        subscription_item: it.id,
      },
      type: 'subscription_item_details',
    },
  };
}

export function subscriptionLines(sub: Stored<'subscription'>): Line[] {
  return sub.items.data.map((it) =>
    itemLine(sub, it, it.quantity ?? 1, { start: it.current_period_start, end: it.current_period_end }),
  );
}

export function createSubscription(store: AccountStore, params: Params): Stored<'subscription'> {
  const customerId = str(params, 'customer', { required: true });
  const customer = store.require('customer', customerId, 'customer');
  return inCustomerTime(store, customer, () => newSubscription(store, customer, params));
}

function newSubscription(
  store: AccountStore,
  customer: Stored<'customer'>,
  params: Params,
): Stored<'subscription'> {
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
  const recurring = items[0]!.price.recurring!;
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
  const sub = store.create('sub', 'subscription', {
    application: null,
    billing_cycle_anchor: periodEnd,
    cancel_at: null,
    cancel_at_period_end: bool(params, 'cancel_at_period_end') ?? false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: collection,
    currency: items[0]!.price.currency,
    customer: customer.id,
    days_until_due: daysUntilDue ?? null,
    default_payment_method: dpm ?? null,
    description: str(params, 'description') ?? null,
    discounts: [],
    ended_at: null,
    items: { object: 'list', data: [], has_more: false, url: '' },
    latest_invoice: null,
    metadata: metadata(params),
    pause_collection: null,
    start_date: now,
    status: 'incomplete',
    test_clock: customer.test_clock ?? null,
    trial_end: trialEnd ?? null,
    trial_start: trialEnd ? now : null,
  });
  sub.items.data = items.map(({ price, quantity }) =>
    itemObject(store, sub.id, price, quantity, now, periodEnd),
  );
  // Stripe's JSON counts the items; the SDK's list type has no field for it.
  Object.assign(sub.items, { total_count: items.length });
  sub.items.url = `/v1/subscription_items?subscription=${sub.id}`;
  if (sub.cancel_at_period_end) sub.cancel_at = periodEnd;

  const trialing = trialEnd !== undefined && trialEnd > now;
  const lines = subscriptionLines(sub).map((l) =>
    trialing ? { ...l, amount: 0, description: `Trial period for ${l.description ?? ''}` } : l,
  );
  const subtotal = lines.reduce((s, l) => s + l.amount, 0);
  const inv = createInvoice(store, {
    customer,
    currency: sub.currency,
    lines,
    subscription: sub.id,
    billingReason: 'subscription_create',
    collectionMethod: collection,
    daysUntilDue: daysUntilDue ?? null,
    description: null,
    metadata: {},
    autoAdvance: true,
    discount: discountAmount(store, coupon, subtotal, sub.currency, 'discounts[0][coupon]'),
    defaultPaymentMethod: null,
  });
  sub.latest_invoice = inv.id;
  if (coupon)
    sub.discounts = [
      subscriptionDiscount(store, coupon, { id: sub.id, customer: customer.id, start: now }).id,
    ];
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

/** `POST /v1/subscriptions/:id` (also the Portal's changes): all of it, at the customer's time, or nothing. */
export function changeSubscription(
  store: AccountStore,
  sub: Stored<'subscription'>,
  params: Params,
): Stored<'subscription'> {
  const snapshot = structuredClone(sub);
  try {
    return inCustomerTime(store, sub.customer, () => updateSubscription(store, sub, params));
  } catch (err) {
    Object.assign(sub, snapshot);
    throw err;
  }
}

function updateSubscription(
  store: AccountStore,
  sub: Stored<'subscription'>,
  params: Params,
): Stored<'subscription'> {
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
    const list = sub.items.data;
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
            first.current_period_start,
            first.current_period_end,
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
    const end = sub.items.data[0]!.current_period_end;
    sub.cancel_at = cape ? end : null;
    sub.canceled_at = cape ? store.now() : null;
  }
  const cd = obj(params, 'cancellation_details');
  if (cd)
    sub.cancellation_details = {
      ...sub.cancellation_details!,
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
    if (idOf(pm.customer) !== idOf(sub.customer))
      throw invalid(
        `The payment method ${dpm} is not attached to customer ${idOf(sub.customer)}.`,
        'default_payment_method',
      );
    sub.default_payment_method = dpm;
  }
  if ('description' in params) sub.description = str(params, 'description') ?? null;
  if ('metadata' in params) {
    previous.metadata = sub.metadata;
    sub.metadata = metadata(params, sub.metadata);
  }
  str(params, 'proration_behavior', { oneOf: ['always_invoice', 'create_prorations', 'none'] });
  store.emit('customer.subscription.updated', sub, previous);
  return sub;
}

export function subscriptionRoutes(routes: RouteTable): void {
  routes.add('POST', '/v1/subscriptions', ({ store, params }) => createSubscription(store, params));
  retrieveRoute(routes, '/v1/subscriptions/:id', 'subscription');
  routes.add('POST', '/v1/subscriptions/:id', ({ store, path, params }) =>
    changeSubscription(store, store.require('subscription', path.id!), params),
  );
  routes.add('DELETE', '/v1/subscriptions/:id', ({ store, path, params }) => {
    const sub = store.require('subscription', path.id!);
    if (sub.status === 'canceled') {
      throw invalid(`No such subscription: '${sub.id}' (it is already canceled).`, 'id', 'resource_missing');
    }
    const cd = obj(params, 'cancellation_details');
    sub.canceled_at = null;
    sub.cancellation_details = {
      comment: cd ? (str(cd, 'comment') ?? null) : null,
      feedback: cd
        ? ((str(cd, 'feedback') as Stripe.Subscription.CancellationDetails.Feedback) ?? null)
        : null,
      feedback_option: cd ? (str(cd, 'feedback_option') ?? null) : null,
      reason: null,
    };
    inCustomerTime(store, sub.customer, () => endSubscription(store, sub, 'cancellation_requested'));
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
}
