// What a subscription does as time passes (the sandbox's time moves with test clocks): the trial ends
// and each period renews through the billing engine; a failed payment makes the subscription
// `past_due` and is retried; after the last retry fails, or at the end of a period it was asked to end
// at, the subscription is canceled. An `incomplete` subscription expires after 23 hours.
import type Stripe from 'stripe';
import { idOf } from '../../util/ids.js';
import { SandboxError } from '../errors.js';
import type { AccountStore, Stored } from '../store.js';
import {
  addInterval,
  createInvoice,
  customerDefaultPm,
  discountAmount,
  finalize,
  pay,
  runningCoupon,
  type Line,
} from './billing-engine.js';
import { meterUsage } from './meters.js';
import { itemLine } from './subscriptions.js';

/** Days after each failed attempt until the next (Stripe's default: four tries within about two weeks). */
const RETRY_AFTER_DAYS = [3, 5, 7];
const DAY = 86_400;
const TRIAL_NOTICE_S = 3 * DAY;
const INCOMPLETE_EXPIRES_S = 23 * 3600;
/** A bound on what one catch-up may run (a daily plan advanced by years would otherwise run long). */
const MAX_STEPS = 10_000;

type Kind = 'trial_will_end' | 'period_end' | 'cancel' | 'retry' | 'expire';
export interface Due {
  at: number;
  kind: Kind;
}

const periodEnd = (sub: Stored<'subscription'>) => sub.items.data[0]!.current_period_end;

/** The next thing that happens to this subscription by itself, if anything does. */
export function nextDue(store: AccountStore, sub: Stored<'subscription'>): Due | undefined {
  const dues: Due[] = [];
  if (sub.status === 'incomplete') dues.push({ at: sub.start_date + INCOMPLETE_EXPIRES_S, kind: 'expire' });
  if (sub.status === 'active' || sub.status === 'trialing' || sub.status === 'past_due') {
    const end = periodEnd(sub);
    if (sub.status === 'trialing' && sub.trial_end && !store.marks.has(`trial_will_end:${sub.id}`))
      dues.push({ at: sub.trial_end - TRIAL_NOTICE_S, kind: 'trial_will_end' });
    if (sub.cancel_at !== null && sub.cancel_at < end) dues.push({ at: sub.cancel_at, kind: 'cancel' });
    else dues.push({ at: end, kind: 'period_end' });
    const open = openInvoice(store, sub);
    if (sub.status === 'past_due' && open?.next_payment_attempt)
      dues.push({ at: open.next_payment_attempt, kind: 'retry' });
  }
  return dues.sort((a, b) => a.at - b.at)[0];
}

/** Does what is due, at its time (the caller sets the store's time to `due.at`). */
export function runDue(store: AccountStore, sub: Stored<'subscription'>, due: Due): void {
  switch (due.kind) {
    case 'trial_will_end':
      store.marks.add(`trial_will_end:${sub.id}`);
      store.emit('customer.subscription.trial_will_end', sub);
      return;
    case 'expire':
      setStatus(store, sub, 'incomplete_expired');
      return;
    case 'cancel':
      endSubscription(store, sub, 'cancellation_requested');
      return;
    case 'period_end':
      if (sub.cancel_at_period_end) endSubscription(store, sub, 'cancellation_requested');
      else renew(store, sub);
      return;
    case 'retry': {
      const open = openInvoice(store, sub);
      if (open) collect(store, sub, open);
    }
  }
}

/**
 * Runs, in time order, what falls due up to `to` for the subscriptions `subs()` returns (asked again
 * after each step: a step changes what is due next), each at its time and never before `from`;
 * `onStep` hears each step's time before it runs. A test clock's advance and the demo seed both use it.
 */
export function runDueUntil(
  store: AccountStore,
  subs: () => Stored<'subscription'>[],
  to: number,
  from = Number.NEGATIVE_INFINITY,
  onStep?: (at: number) => void,
): void {
  let now = from;
  for (let step = 0; step < MAX_STEPS; step++) {
    const next = subs()
      .map((sub) => ({ sub, due: nextDue(store, sub) }))
      .filter((x) => x.due !== undefined && x.due.at <= to)
      .sort((a, b) => a.due!.at - b.due!.at)[0];
    if (!next) return;
    now = Math.max(next.due!.at, now);
    onStep?.(now);
    store.at(now, () => runDue(store, next.sub, next.due!));
  }
}

/** Ends a subscription now (its period's end, a cancel_at, or the last failed retry). */
export function endSubscription(
  store: AccountStore,
  sub: Stored<'subscription'>,
  reason: Stripe.Subscription.CancellationDetails.Reason,
): void {
  const now = store.now();
  sub.status = 'canceled';
  sub.canceled_at ??= now;
  sub.ended_at = now;
  sub.cancel_at_period_end = false;
  sub.cancellation_details = { ...sub.cancellation_details!, reason };
  const open = openInvoice(store, sub);
  if (open) open.next_payment_attempt = null;
  store.emit('customer.subscription.deleted', sub);
}

/**
 * The next period: licensed items billed ahead, metered usage of the period that ended billed after.
 * `paymentMethod`: charge this one instead of the default (the sandbox's renew helper, to fail on purpose).
 */
export function renew(store: AccountStore, sub: Stored<'subscription'>, paymentMethod?: string): void {
  const start = periodEnd(sub);
  const next = addInterval(start, sub.items.data[0]!.price.recurring!);
  const customer = store.requireRef('customer', sub.customer);
  const lines: Line[] = sub.items.data.map((it) => {
    const recurring = it.price.recurring;
    if (recurring?.usage_type !== 'metered') return itemLine(sub, it, it.quantity ?? 1, { start, end: next });
    // Metered: what the meter counted for this customer over the period that ended.
    const meter = recurring.meter ? store.get(recurring.meter) : undefined;
    const used = meter ? meterUsage(store, meter, customer.id, it.current_period_start, start) : 0;
    return itemLine(sub, it, used, { start: it.current_period_start, end: start });
  });
  for (const it of sub.items.data) {
    it.current_period_start = start;
    it.current_period_end = next;
  }
  const previous = { latest_invoice: sub.latest_invoice };
  const inv = createInvoice(store, {
    customer,
    currency: sub.currency,
    lines,
    subscription: sub.id,
    billingReason: 'subscription_cycle',
    collectionMethod: sub.collection_method,
    daysUntilDue: sub.days_until_due,
    description: null,
    metadata: {},
    autoAdvance: true,
    discount: discountAmount(
      store,
      runningCoupon(store, sub, start),
      lines.reduce((sum, l) => sum + l.amount, 0),
      sub.currency,
      'discounts',
      { redeem: false },
    ),
    defaultPaymentMethod: null,
  });
  sub.latest_invoice = inv.id;
  finalize(store, inv);
  if (inv.status === 'paid' || sub.collection_method === 'send_invoice') {
    if (sub.status === 'active') store.emit('customer.subscription.updated', sub, previous);
    else setStatus(store, sub, 'active', previous);
    return;
  }
  collect(store, sub, inv, previous, paymentMethod);
}

/**
 * Charges an open subscription invoice off-session with the subscription's (or the customer's) default
 * payment method, as Stripe's retries do. Paid: the subscription is active. Failed: it is past_due and
 * the next attempt is scheduled; after the last one, it is canceled.
 */
export function collect(
  store: AccountStore,
  sub: Stored<'subscription'>,
  inv: Stored<'invoice'>,
  previous: Record<string, unknown> = {},
  paymentMethod?: string,
): boolean {
  const customer = store.requireRef('customer', sub.customer);
  const pm =
    paymentMethod ??
    (sub.default_payment_method ? idOf(sub.default_payment_method) : customerDefaultPm(customer));
  let outcome: SandboxError | 'requires_action' | null;
  if (pm) outcome = pay(store, inv, pm, true);
  else {
    inv.attempted = true;
    inv.attempt_count += 1;
    store.emit('invoice.payment_failed', inv);
    outcome = new SandboxError(402, 'invalid_request_error', 'The customer has no payment method.');
  }
  if (outcome === null) {
    inv.next_payment_attempt = null;
    setStatus(store, sub, 'active', previous);
    return true;
  }
  const wait = RETRY_AFTER_DAYS[inv.attempt_count - 1];
  if (wait === undefined) {
    endSubscription(store, sub, 'payment_failed');
    return false;
  }
  inv.next_payment_attempt = store.now() + wait * DAY;
  setStatus(store, sub, 'past_due', previous);
  return false;
}

function setStatus(
  store: AccountStore,
  sub: Stored<'subscription'>,
  status: Stripe.Subscription.Status,
  previous: Record<string, unknown> = {},
): void {
  if (sub.status === status && Object.keys(previous).length === 0) return;
  const changed = sub.status === status ? previous : { ...previous, status: sub.status };
  sub.status = status;
  store.emit('customer.subscription.updated', sub, changed);
}

/** The subscription's latest invoice while it is still open. */
export function openInvoice(store: AccountStore, sub: Stored<'subscription'>): Stored<'invoice'> | undefined {
  const inv = store.find('invoice', sub.latest_invoice ? idOf(sub.latest_invoice) : null);
  return inv?.status === 'open' ? inv : undefined;
}
