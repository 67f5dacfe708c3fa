import type Stripe from 'stripe';
import type { StripeClient } from '../stripe/client.js';
import { idOf } from '../util/ids.js';
import { minorUnits, wholeNumber } from './amount.js';
import { MOVES_NONE } from './none.js';

/**
 * The money model: for every write endpoint of the Stripe API, what one call moves. Named tools name
 * the endpoint they call and the generic write tool looks the endpoint up; both get the same answer
 * from here. The classification is closed: a write endpoint moves money of unknown amount unless it
 * is declared here with a rule, or declared in `MOVES_NONE` as moving none (a test walks the catalog
 * so that every write endpoint is one or the other on purpose).
 */

/** The money one call moves, as policy sees it (caps, daily limit, confirmation summary). */
export interface Money {
  /** Minor units (0 with `unknownAmount`). */
  amount: number;
  /** Lowercase ISO code; empty when not even the currency is known before the call. */
  currency: string;
  /** The Stripe object the money moves through, when known before the call. */
  objectId?: string;
  customer?: string | null;
  /** The call moves money but its amount cannot be known beforehand. */
  unknownAmount?: boolean;
}

/** What a rule may use: the Stripe client (to read what the arguments do not say) and the default currency. */
export interface MoneyContext {
  stripe: StripeClient;
  defaults: { currency?: string };
}

/** One outbound request as the money model reads it. */
export interface MoneyRequest {
  /** Stripe's parameters, as sent. */
  params: Record<string, unknown>;
  /** The object id in the path (`{id}`), for endpoints that have one. */
  id?: string;
}

/**
 * `in`: money collected from customers or brought into the balance (charges, captures, invoices paid,
 * top-ups). `out`: money leaving the Stripe balance (refunds, payouts, transfers, outbound payments).
 * The daily limit counts both in one bucket per currency: either kind is money an agent moved.
 */
export type Direction = 'in' | 'out';

export interface MoneyRule {
  direction: Direction;
  /** What is counted, for docs/security.md. */
  counts: string;
  /** What this call moves; null when these parameters move nothing now. */
  amount(req: MoneyRequest, ctx: MoneyContext): Promise<Money | null>;
}

type Params = Record<string, unknown>;

const truthy = (v: unknown) => v === true || v === 'true';
const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
const list = (v: unknown): Params[] =>
  Array.isArray(v)
    ? (v as Params[])
    : v && typeof v === 'object'
      ? (Object.values(v) as Params[]) // form-style { "0": {...}, "1": {...} }
      : [];

function currencyOf(p: Params, ctx: MoneyContext): string {
  return (str(p.currency) ?? ctx.defaults.currency ?? '').toLowerCase();
}

function known(amount: number, currency: string, extra: Partial<Money> = {}): Money {
  return { ...extra, amount, currency: currency.toLowerCase() };
}

function unknown(currency = '', extra: Partial<Money> = {}): Money {
  return { ...extra, amount: 0, currency: currency.toLowerCase(), unknownAmount: true };
}

function requireId(req: MoneyRequest): string {
  if (!req.id) throw new Error('money rule needs the object id from the path');
  return req.id;
}

/** `amount` (and `currency`) straight from the parameters; unknown when absent. */
function fromParams(field = 'amount'): MoneyRule['amount'] {
  return (req, ctx) => {
    const amount = minorUnits(req.params[field], field);
    const currency = currencyOf(req.params, ctx);
    // The customer the money comes from or goes to, when the request names one.
    const extra = { customer: str(req.params.customer) ?? null };
    return Promise.resolve(amount === undefined ? unknown(currency, extra) : known(amount, currency, extra));
  };
}

/** v2 APIs give amounts as `{ value, currency }`. */
const fromV2Amount: MoneyRule['amount'] = (req) => {
  const a = req.params.amount as { value?: unknown; currency?: unknown } | undefined;
  const value = minorUnits(a?.value, 'amount.value');
  const currency = str(a?.currency) ?? '';
  return Promise.resolve(value === undefined ? unknown(currency) : known(value, currency));
};

const unknownAmount: MoneyRule['amount'] = (req, ctx) =>
  Promise.resolve(unknown(currencyOf(req.params, ctx)));

async function paymentIntentAmount(ctx: MoneyContext, id: string, amount?: number): Promise<Money> {
  const pi = await ctx.stripe.paymentIntents.retrieve(id);
  return known(amount ?? pi.amount, pi.currency, { objectId: pi.id, customer: idOf(pi.customer) });
}

/** A refund of `payment_intent` or `charge`: `amount`, else what is still refundable. */
async function refundAmount(p: Params, ctx: MoneyContext): Promise<Money> {
  const amount = minorUnits(p.amount, 'amount');
  const pi = str(p.payment_intent);
  const ch = str(p.charge);
  const charge = pi
    ? (await ctx.stripe.paymentIntents.retrieve(pi, { expand: ['latest_charge'] })).latest_charge
    : ch
      ? await ctx.stripe.charges.retrieve(ch)
      : null;
  if (!charge || typeof charge === 'string') return unknown(currencyOf(p, ctx));
  const refundable = charge.amount_captured - charge.amount_refunded;
  return known(amount ?? refundable, charge.currency, { customer: idOf(charge.customer) });
}

/** One line's price per period: `unit × quantity`; undefined when it cannot be known (tiered prices). */
interface Line {
  unit: number | undefined;
  quantity: number;
  currency: string | undefined;
}

function unitOfPrice(price: Stripe.Price): number | undefined {
  // Metered usage is billed at the end of the period, not now.
  if (price.recurring?.usage_type === 'metered') return 0;
  return price.unit_amount ?? undefined;
}

async function lineOf(item: Params, ctx: MoneyContext, at: string): Promise<Line> {
  const quantity = wholeNumber(item.quantity, `${at}.quantity`) ?? 1;
  const priceId = str(item.price) ?? str(item.plan);
  if (priceId) {
    const price = await ctx.stripe.prices.retrieve(priceId);
    return { unit: unitOfPrice(price), quantity, currency: price.currency };
  }
  const data = item.price_data as Params | undefined;
  if (data && typeof data === 'object') {
    return {
      unit: minorUnits(data.unit_amount, `${at}.price_data.unit_amount`),
      quantity,
      currency: str(data.currency)?.toLowerCase(),
    };
  }
  return { unit: undefined, quantity, currency: undefined };
}

/** The sum of lines; undefined when any line's price is not known. */
function total(lines: Line[]): number | undefined {
  let sum = 0;
  for (const l of lines) {
    if (l.unit === undefined) return undefined;
    sum += l.unit * l.quantity;
  }
  return sum;
}

/** The lines of a subscription after the item changes of an update (`{id}` change, `{price}` add, `{id, deleted}` remove). */
async function linesAfter(sub: Stripe.Subscription, changes: Params[], ctx: MoneyContext): Promise<Line[]> {
  const lines = new Map<string, Line>(
    sub.items.data.map((it) => [
      it.id,
      { unit: unitOfPrice(it.price), quantity: it.quantity ?? 1, currency: it.price.currency },
    ]),
  );
  for (const [i, change] of changes.entries()) {
    const itemId = str(change.id);
    const current = itemId ? lines.get(itemId) : undefined;
    if (itemId && truthy(change.deleted)) {
      lines.delete(itemId);
      continue;
    }
    const priced =
      str(change.price) || change.price_data ? await lineOf(change, ctx, `items.${i}`) : undefined;
    const quantity = wholeNumber(change.quantity, `items.${i}.quantity`);
    if (current && itemId) {
      lines.set(itemId, {
        unit: priced ? priced.unit : current.unit,
        currency: priced?.currency ?? current.currency,
        quantity: quantity ?? current.quantity,
      });
    } else if (priced) {
      lines.set(`new:${i}`, { ...priced, quantity: quantity ?? 1 });
    } else {
      lines.set(`new:${i}`, { unit: undefined, quantity: quantity ?? 1, currency: undefined });
    }
  }
  return [...lines.values()];
}

async function lines(items: Params[], ctx: MoneyContext, at: string): Promise<Line[]> {
  return Promise.all(items.map((item, i) => lineOf(item, ctx, `${at}.${i}`)));
}

function currencyIn(lineSets: Line[][], fallback: string): string {
  return lineSets.flat().find((l) => l.currency)?.currency ?? fallback;
}

/** What Stripe invoices now for a new subscription: the first period (unless trialing) plus one-off items. */
const subscriptionCreate: MoneyRule['amount'] = async ({ params: p }, ctx) => {
  const trialDays = wholeNumber(p.trial_period_days, 'trial_period_days') ?? 0;
  const trialing = trialDays > 0 || (p.trial_end !== undefined && p.trial_end !== 'now');
  const recurring = await lines(list(p.items), ctx, 'items');
  const extras = await lines(list(p.add_invoice_items), ctx, 'add_invoice_items');
  const currency = currencyIn([recurring, extras], currencyOf(p, ctx));
  const first = trialing ? 0 : total(recurring);
  const oneOff = total(extras);
  const customer = str(p.customer) ?? null;
  if (first === undefined || oneOff === undefined) return unknown(currency, { customer });
  return known(first + oneOff, currency, { customer });
};

/**
 * An update invoices now when it ends a trial, resets the billing cycle, changes items (counted as the
 * new period's total: prorations are at most that), or asks for `always_invoice`; one-off items are
 * added on top. Otherwise nothing moves now.
 */
const subscriptionUpdate: MoneyRule['amount'] = async (req, ctx) => {
  const p = req.params;
  const changes = list(p.items);
  const invoicesNow =
    changes.length > 0 ||
    p.trial_end === 'now' ||
    p.billing_cycle_anchor === 'now' ||
    p.proration_behavior === 'always_invoice' ||
    truthy(p.trial_from_plan);
  const extrasIn = list(p.add_invoice_items);
  if (!invoicesNow && extrasIn.length === 0) return null;
  const sub = await ctx.stripe.subscriptions.retrieve(requireId(req));
  const after = invoicesNow ? await linesAfter(sub, changes, ctx) : [];
  const extras = await lines(extrasIn, ctx, 'add_invoice_items');
  const period = invoicesNow ? total(after) : 0;
  const oneOff = total(extras);
  const extra = { objectId: sub.id, customer: idOf(sub.customer) };
  if (period === undefined || oneOff === undefined) return unknown(sub.currency, extra);
  return known(period + oneOff, sub.currency, extra);
};

/** Resuming bills a new period now (billing_cycle_anchor defaults to now). */
const subscriptionResume: MoneyRule['amount'] = async (req, ctx) => {
  const sub = await ctx.stripe.subscriptions.retrieve(requireId(req));
  const period = total(await linesAfter(sub, [], ctx));
  const extra = { objectId: sub.id, customer: idOf(sub.customer) };
  return period === undefined ? unknown(sub.currency, extra) : known(period, sub.currency, extra);
};

/** A new or changed subscription item: its price per period (prorations are at most that). */
const subscriptionItemAmount: MoneyRule['amount'] = async (req, ctx) => {
  const p = req.params;
  let line: Line;
  if (req.id) {
    const item = await ctx.stripe.subscriptionItems.retrieve(req.id);
    const priced = str(p.price) || p.price_data ? await lineOf(p, ctx, '(params)') : undefined;
    line = {
      unit: priced ? priced.unit : unitOfPrice(item.price),
      currency: priced?.currency ?? item.price.currency,
      quantity: wholeNumber(p.quantity, 'quantity') ?? item.quantity ?? 1,
    };
  } else {
    line = await lineOf(p, ctx, '(params)');
  }
  const amount = total([line]);
  const currency = line.currency ?? currencyOf(p, ctx);
  return amount === undefined ? unknown(currency) : known(amount, currency);
};

/** Only when it bills now (`invoice_now`, or `always_invoice` prorations). */
function whenInvoicedNow(flag: 'invoice_now' | 'always_invoice'): MoneyRule['amount'] {
  return (req, ctx) =>
    Promise.resolve(
      (
        flag === 'invoice_now'
          ? truthy(req.params.invoice_now)
          : req.params.proration_behavior === 'always_invoice'
      )
        ? unknown(currencyOf(req.params, ctx))
        : null,
    );
}

/** With `auto_advance`, Stripe finalizes and collects the invoice itself, about an hour later. */
const whenAutoAdvanced: MoneyRule['amount'] = (req, ctx) =>
  Promise.resolve(truthy(req.params.auto_advance) ? unknown(currencyOf(req.params, ctx)) : null);

async function invoiceAmount(ctx: MoneyContext, id: string, field: 'amount_due' | 'amount_remaining') {
  const inv = await ctx.stripe.invoices.retrieve(id);
  return known(inv[field], inv.currency, { objectId: inv.id, customer: idOf(inv.customer) });
}

const rule = (direction: Direction, counts: string, amount: MoneyRule['amount']): MoneyRule => ({
  direction,
  counts,
  amount,
});

export const MONEY_RULES: Readonly<Record<string, MoneyRule>> = {
  // Collecting from customers.
  'payment_intents.create': rule('in', '`amount`, when `confirm` is true (else nothing)', async (req, ctx) =>
    truthy(req.params.confirm) ? fromParams()(req, ctx) : null,
  ),
  'payment_intents.confirm': rule('in', "the intent's amount", (req, ctx) =>
    paymentIntentAmount(ctx, requireId(req)),
  ),
  'payment_intents.capture': rule('in', '`amount_to_capture`, else what is capturable', async (req, ctx) => {
    const amount = minorUnits(req.params.amount_to_capture, 'amount_to_capture');
    const pi = await ctx.stripe.paymentIntents.retrieve(requireId(req));
    return known(amount ?? pi.amount_capturable, pi.currency, {
      objectId: pi.id,
      customer: idOf(pi.customer),
    });
  }),
  'payment_intents.incrementAuthorization': rule('in', 'the new authorized `amount`', async (req, ctx) =>
    paymentIntentAmount(ctx, requireId(req), minorUnits(req.params.amount, 'amount')),
  ),
  'payment_intents.applyCustomerBalance': rule('in', "`amount`, else the intent's amount", async (req, ctx) =>
    paymentIntentAmount(ctx, requireId(req), minorUnits(req.params.amount, 'amount')),
  ),
  'payment_intents.verifyMicrodeposits': rule('in', "the intent's amount", (req, ctx) =>
    paymentIntentAmount(ctx, requireId(req)),
  ),
  'charges.create': rule('in', '`amount`', fromParams()),
  'charges.capture': rule('in', '`amount`, else what is not yet captured', async (req, ctx) => {
    const amount = minorUnits(req.params.amount, 'amount');
    const ch = await ctx.stripe.charges.retrieve(requireId(req));
    return known(amount ?? ch.amount - ch.amount_captured, ch.currency, {
      objectId: ch.id,
      customer: idOf(ch.customer),
    });
  }),
  'terminal.readers.processPaymentIntent': rule('in', "the intent's amount", (req, ctx) =>
    paymentIntentAmount(ctx, str(req.params.payment_intent) ?? ''),
  ),
  'terminal.readers.confirmPaymentIntent': rule('in', "the intent's amount", (req, ctx) =>
    paymentIntentAmount(ctx, str(req.params.payment_intent) ?? ''),
  ),
  'invoices.finalizeInvoice': rule('in', "the invoice's `amount_due`", (req, ctx) =>
    invoiceAmount(ctx, requireId(req), 'amount_due'),
  ),
  'invoices.pay': rule('in', "the invoice's `amount_remaining`", (req, ctx) =>
    invoiceAmount(ctx, requireId(req), 'amount_remaining'),
  ),
  'invoices.create': rule('in', 'unknown, when `auto_advance` is true (else nothing)', whenAutoAdvanced),
  'invoices.update': rule('in', 'unknown, when `auto_advance` is true (else nothing)', whenAutoAdvanced),
  'quotes.accept': rule('in', "the quote's `amount_total`", async (req, ctx) => {
    const q = await ctx.stripe.quotes.retrieve(requireId(req));
    return known(q.amount_total, q.currency ?? '', { customer: idOf(q.customer) });
  }),
  'subscriptions.create': rule(
    'in',
    'the first period (none in a trial) plus `add_invoice_items`',
    subscriptionCreate,
  ),
  'subscriptions.update': rule(
    'in',
    'the new period when it invoices now (items, `trial_end=now`, `billing_cycle_anchor=now`, `always_invoice`) plus `add_invoice_items`',
    subscriptionUpdate,
  ),
  'subscriptions.resume': rule('in', "a new period at the subscription's prices", subscriptionResume),
  'subscriptions.cancel': rule('in', 'unknown, with `invoice_now`', whenInvoicedNow('invoice_now')),
  'subscription_items.create': rule('in', "the item's price per period", subscriptionItemAmount),
  'subscription_items.update': rule('in', "the item's new price per period", subscriptionItemAmount),
  'subscription_items.del': rule('in', 'unknown, with `always_invoice`', whenInvoicedNow('always_invoice')),
  'subscription_schedules.create': rule('in', 'unknown', unknownAmount),
  'subscription_schedules.update': rule('in', 'unknown', unknownAmount),
  'subscription_schedules.cancel': rule('in', 'unknown, with `invoice_now`', whenInvoicedNow('invoice_now')),
  'billing.meter_events.create': rule(
    'in',
    'unknown (billed by the meter at the next invoice)',
    unknownAmount,
  ),
  'v2.billing.meter_events.create': rule(
    'in',
    'unknown (billed by the meter at the next invoice)',
    unknownAmount,
  ),
  'v2.billing.meter_event_stream.create': rule(
    'in',
    'unknown (billed by the meter at the next invoice)',
    unknownAmount,
  ),
  'topups.create': rule('in', '`amount`', fromParams()),
  'payouts.reverse': rule('in', "the payout's amount", async (req, ctx) => {
    const po = await ctx.stripe.payouts.retrieve(requireId(req));
    return known(po.amount, po.currency);
  }),
  'treasury.inbound_transfers.create': rule('in', '`amount`', fromParams()),
  'v2.money_management.inbound_transfers.create': rule('in', '`amount.value`', fromV2Amount),

  // Paying out of the balance.
  'refunds.create': rule('out', '`amount`, else what is still refundable', ({ params }, ctx) =>
    refundAmount(params, ctx),
  ),
  'terminal.readers.refundPayment': rule(
    'out',
    '`amount`, else what is still refundable',
    ({ params }, ctx) => refundAmount(params, ctx),
  ),
  'credit_notes.create': rule(
    'out',
    '`refund_amount`, else `amount`, else unknown',
    async ({ params: p }, ctx) => {
      const amount = minorUnits(p.refund_amount, 'refund_amount') ?? minorUnits(p.amount, 'amount');
      const inv = str(p.invoice) ? await ctx.stripe.invoices.retrieve(String(p.invoice)) : undefined;
      const currency = inv?.currency ?? currencyOf(p, ctx);
      const extra = { customer: idOf(inv?.customer) };
      return amount === undefined ? unknown(currency, extra) : known(amount, currency, extra);
    },
  ),
  'application_fees.createRefund': rule(
    'out',
    '`amount`, else what is still refundable',
    async (req, ctx) => {
      const amount = minorUnits(req.params.amount, 'amount');
      const fee = await ctx.stripe.applicationFees.retrieve(requireId(req));
      return known(amount ?? fee.amount - fee.amount_refunded, fee.currency);
    },
  ),
  'payouts.create': rule('out', '`amount`', fromParams()),
  'transfers.create': rule('out', '`amount`', fromParams()),
  'transfers.createReversal': rule('out', '`amount`, else what is not yet reversed', async (req, ctx) => {
    const amount = minorUnits(req.params.amount, 'amount');
    const tr = await ctx.stripe.transfers.retrieve(requireId(req));
    return known(amount ?? tr.amount - tr.amount_reversed, tr.currency);
  }),
  'issuing.authorizations.approve': rule('out', '`amount`, else the requested amount', async (req, ctx) => {
    const amount = minorUnits(req.params.amount, 'amount');
    const auth = await ctx.stripe.issuing.authorizations.retrieve(requireId(req));
    return known(amount ?? auth.pending_request?.amount ?? auth.amount, auth.currency);
  }),
  'treasury.outbound_payments.create': rule('out', '`amount`', fromParams()),
  'treasury.outbound_transfers.create': rule('out', '`amount`', fromParams()),
  'treasury.credit_reversals.create': rule('out', 'unknown', unknownAmount),
  'treasury.debit_reversals.create': rule('out', 'unknown', unknownAmount),
  'v2.money_management.outbound_payments.create': rule('out', '`amount.value`', fromV2Amount),
  'v2.money_management.payout_intents.create': rule('out', '`amount.value`', fromV2Amount),
  'v2.money_management.payout_intents.confirm': rule('out', 'unknown', unknownAmount),
  'v2.money_management.payout_intents.update': rule('out', '`amount.value`, else unknown', fromV2Amount),
  'climate.orders.create': rule('out', '`amount`, else unknown (`metric_tons`)', fromParams()),
  'forwarding.requests.create': rule(
    'out',
    'unknown (card details forwarded to a third party)',
    unknownAmount,
  ),
};

/** How policy treats an endpoint: reads, writes, and writes that move money. */
export type EndpointClass = 'read' | 'write' | 'money';

export function classify(ep: { id: string; method: string }): EndpointClass {
  if (ep.method === 'GET') return 'read';
  return ep.id in MOVES_NONE ? 'write' : 'money';
}

/**
 * What one request to `endpointId` moves: the declared rule's answer, nothing for an endpoint declared
 * as moving none, and an unknown amount for any other write endpoint (fail closed).
 */
export async function moneyFor(
  endpointId: string,
  req: MoneyRequest,
  ctx: MoneyContext,
): Promise<Money | null> {
  const r = MONEY_RULES[endpointId];
  if (r) return r.amount(req, ctx);
  if (endpointId in MOVES_NONE) return null;
  return unknown(currencyOf(req.params, ctx));
}
