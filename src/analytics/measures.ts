import type Stripe from 'stripe';
import { formatMoney } from '../money/currencies.js';
import { idOf } from '../util/ids.js';

// The arithmetic of the analytics tools, on objects already read from Stripe. Amounts stay in each
// currency's minor units and are never added across currencies; `formatMoney` knows zero-decimal ones.

const sorted = <T extends { currency: string }>(rows: T[]) =>
  rows.sort((a, b) => a.currency.localeCompare(b.currency));

/** A row per key (a currency, a decline code, a customer), made on first use. */
function keyed<T>(make: (key: string) => T) {
  const rows = new Map<string, T>();
  return {
    of: (key: string) => {
      let row = rows.get(key);
      if (!row) rows.set(key, (row = make(key)));
      return row;
    },
    rows: () => [...rows.values()],
    entries: () => [...rows.entries()],
  };
}

export interface RevenueRow {
  currency: string;
  gross: number;
  refunds: number;
  disputes: number;
  fees: number;
  other: number;
  net: number;
  payouts: number;
  charges: number;
  refund_count: number;
  dispute_count: number;
  summary: string;
}

/**
 * Gross (captured charges), refunds, disputes (amounts withdrawn), Stripe's fees and net, per
 * currency, from balance transactions. Net is the sum of their `net`, payouts aside: money sent to
 * the bank is not revenue. `other` is whatever else moved the balance (adjustments, transfers).
 */
export function revenueOf(txns: Stripe.BalanceTransaction[]): RevenueRow[] {
  const by = keyed<RevenueRow>((currency) => ({
    currency,
    gross: 0,
    refunds: 0,
    disputes: 0,
    fees: 0,
    other: 0,
    net: 0,
    payouts: 0,
    charges: 0,
    refund_count: 0,
    dispute_count: 0,
    summary: '',
  }));
  for (const t of txns) {
    const row = by.of(t.currency);
    if (t.type === 'payout' || t.type === 'payout_cancel' || t.type === 'payout_failure') {
      row.payouts -= t.amount;
      continue;
    }
    row.fees += t.fee;
    row.net += t.net;
    if (t.type === 'charge' || t.type === 'payment') {
      row.gross += t.amount;
      row.charges++;
    } else if (t.type === 'refund' || t.type === 'payment_refund') {
      row.refunds -= t.amount;
      row.refund_count++;
    } else if (t.reporting_category === 'dispute' || t.reporting_category === 'dispute_reversal') {
      row.disputes -= t.amount;
      if (t.reporting_category === 'dispute') row.dispute_count++;
    } else row.other += t.amount;
  }
  return sorted(by.rows()).map((r) => {
    const m = (n: number) => formatMoney(n, r.currency);
    return {
      ...r,
      summary: `gross ${m(r.gross)}, refunds ${m(r.refunds)}, disputes ${m(r.disputes)}, fees ${m(r.fees)}, net ${m(r.net)}`,
    };
  });
}

/** Months in one billing interval: a yearly price's amount counts a twelfth per month. */
function monthsPer(recurring: Stripe.Price.Recurring): number {
  const n = recurring.interval_count || 1;
  const months: Record<string, number> = { day: 12 / 365, week: 12 / 52, month: 1, year: 12 };
  return (months[recurring.interval] ?? 1) * n;
}

interface SubscriptionValue {
  currency: string;
  /** Per month, after discounts, in minor units (not rounded). */
  monthly: number;
  items: { price: Stripe.Price; quantity: number; monthly: number }[];
  /** Items whose amount depends on usage or tiers: not counted. */
  uncounted: number;
}

/** A coupon of a discount that still runs at `at` (subscriptions listed with `expand` of their discounts). */
function runningCoupons(sub: Stripe.Subscription, at: number): Stripe.Coupon[] {
  return (sub.discounts ?? []).flatMap((d) => {
    if (typeof d === 'string' || (d.end !== null && d.end <= at)) return [];
    const coupon = d.source?.coupon;
    return coupon && typeof coupon !== 'string' ? [coupon] : [];
  });
}

/** What a subscription brings in per month at its current prices and quantities, after its discounts. */
export function monthlyValue(sub: Stripe.Subscription, at: number): SubscriptionValue {
  let uncounted = 0;
  const items = sub.items.data.flatMap((it) => {
    const recurring = it.price.recurring;
    if (!recurring || recurring.usage_type === 'metered' || it.price.unit_amount === null) {
      uncounted++;
      return [];
    }
    const quantity = it.quantity ?? 1;
    return [{ price: it.price, quantity, monthly: (it.price.unit_amount * quantity) / monthsPer(recurring) }];
  });
  const gross = items.reduce((s, i) => s + i.monthly, 0);
  let monthly = gross;
  const interval = items[0]?.price.recurring;
  for (const c of runningCoupons(sub, at)) {
    if (c.percent_off !== null) monthly *= 1 - c.percent_off / 100;
    else if (c.amount_off !== null && c.currency === sub.currency && interval)
      monthly -= c.amount_off / monthsPer(interval);
  }
  monthly = Math.max(0, monthly);
  // Each item keeps its share of the discount, so a breakdown by price adds up to the total.
  const share = gross > 0 ? monthly / gross : 0;
  return {
    currency: sub.currency,
    monthly,
    items: items.map((i) => ({ ...i, monthly: i.monthly * share })),
    uncounted,
  };
}

export interface MrrRow {
  currency: string;
  mrr: number;
  subscriptions: number;
  /** Trialing subscriptions: what they would add once they pay, not in `mrr`. */
  trialing_mrr: number;
  trialing: number;
  summary: string;
  by_price: {
    price: string;
    product: string;
    name: string | null;
    interval: string;
    subscriptions: number;
    quantity: number;
    mrr: number;
  }[];
}

/**
 * Monthly recurring revenue per currency from subscriptions that pay (active and past_due), at their
 * current prices, normalized to a month, after running discounts; trialing subscriptions apart.
 */
export function mrrOf(
  subs: Stripe.Subscription[],
  productNames: Map<string, string>,
  at: number,
): { rows: MrrRow[]; uncounted: number } {
  let uncounted = 0;
  const by = keyed((currency) => ({
    currency,
    mrr: 0,
    subscriptions: 0,
    trialing_mrr: 0,
    trialing: 0,
    prices: new Map<string, MrrRow['by_price'][number]>(),
  }));
  for (const sub of subs) {
    const paying = sub.status === 'active' || sub.status === 'past_due';
    if (!paying && sub.status !== 'trialing') continue;
    const v = monthlyValue(sub, at);
    uncounted += v.uncounted;
    const row = by.of(v.currency);
    if (!paying) {
      row.trialing++;
      row.trialing_mrr += v.monthly;
      continue;
    }
    row.subscriptions++;
    row.mrr += v.monthly;
    for (const it of v.items) {
      const product = idOf(it.price.product) ?? '';
      const p = row.prices.get(it.price.id) ?? {
        price: it.price.id,
        product,
        name: productNames.get(product) ?? it.price.nickname ?? it.price.lookup_key ?? null,
        interval: `${it.price.recurring!.interval_count > 1 ? `${it.price.recurring!.interval_count} ` : ''}${it.price.recurring!.interval}`,
        subscriptions: 0,
        quantity: 0,
        mrr: 0,
      };
      p.subscriptions++;
      p.quantity += it.quantity;
      p.mrr += it.monthly;
      row.prices.set(it.price.id, p);
    }
  }
  const rows = sorted(by.rows()).map(({ prices, ...r }) => {
    const mrr = Math.round(r.mrr);
    const trialing_mrr = Math.round(r.trialing_mrr);
    return {
      ...r,
      mrr,
      trialing_mrr,
      summary: `MRR ${formatMoney(mrr, r.currency)} from ${r.subscriptions} paying subscriptions; ${r.trialing} trialing would add ${formatMoney(trialing_mrr, r.currency)}`,
      by_price: [...prices.values()]
        .map((p) => ({ ...p, mrr: Math.round(p.mrr) }))
        .sort((a, b) => b.mrr - a.mrr),
    };
  });
  return { rows, uncounted };
}

/** Whether a subscription was paying at `at`: started, past any trial, not yet ended. */
function payingAt(sub: Stripe.Subscription, at: number): boolean {
  if (sub.status === 'incomplete' || sub.status === 'incomplete_expired') return false;
  if (sub.start_date >= at) return false;
  if (sub.trial_end !== null && sub.trial_end > at) return false;
  return sub.ended_at === null || sub.ended_at > at;
}

export interface ChurnResult {
  customers_at_start: number;
  customers_churned: number;
  /** Churned customers over customers paying at the start, as a percentage (one decimal). */
  logo_churn_pct: number | null;
  new_customers: number;
  revenue: {
    currency: string;
    mrr_at_start: number;
    churned_mrr: number;
    revenue_churn_pct: number | null;
    summary: string;
  }[];
  churned: { customer: string; subscriptions: string[] }[];
}

const pct = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : null);

/**
 * Churn over [from, to): of the customers paying at `from`, those paying for nothing at `to` whose
 * subscriptions ended in the period (logo churn); of the MRR paying at `from`, the part of
 * subscriptions that ended in the period (revenue churn, per currency, at each subscription's current
 * prices). Trials that ended unpaid are not churn: they were never paying.
 */
export function churnOf(subs: Stripe.Subscription[], from: number, to: number): ChurnResult {
  const customer = (s: Stripe.Subscription) => idOf(s.customer) ?? '';
  const atStart = new Set<string>();
  const atEnd = new Set<string>();
  const before = new Set<string>();
  const endedIn = keyed<string[]>(() => []);
  const money = keyed((currency) => ({ currency, start: 0, churned: 0 }));
  for (const sub of subs) {
    const who = customer(sub);
    if (sub.start_date < from) before.add(who);
    if (payingAt(sub, to - 1)) atEnd.add(who);
    if (!payingAt(sub, from)) continue;
    atStart.add(who);
    const value = monthlyValue(sub, from);
    const row = money.of(value.currency);
    row.start += value.monthly;
    if (sub.ended_at !== null && sub.ended_at < to) {
      row.churned += value.monthly;
      endedIn.of(who).push(sub.id);
    }
  }
  const churned = endedIn.entries().filter(([who]) => !atEnd.has(who));
  const newCustomers = [...atEnd].filter((who) => !before.has(who)).length;
  return {
    customers_at_start: atStart.size,
    customers_churned: churned.length,
    logo_churn_pct: pct(churned.length, atStart.size),
    new_customers: newCustomers,
    revenue: sorted(money.rows()).map((r) => {
      const [start, lost] = [Math.round(r.start), Math.round(r.churned)];
      return {
        currency: r.currency,
        mrr_at_start: start,
        churned_mrr: lost,
        revenue_churn_pct: pct(lost, start),
        summary: `${formatMoney(lost, r.currency)} of ${formatMoney(start, r.currency)} MRR churned`,
      };
    }),
    churned: churned.map(([who, ids]) => ({ customer: who, subscriptions: ids })),
  };
}

export interface FailureRow {
  code: string;
  count: number;
  amounts: { currency: string; amount: number; display: string }[];
  next_action: string;
  /** The most recent failed payments with this code (payment intent ids, else charge ids). */
  examples: string[];
}

/**
 * Failed charges grouped by decline code (the bank's reason when it gave one, else Stripe's failure
 * code), most frequent first, each with what to do about it.
 */
export function failuresOf(charges: Stripe.Charge[], advice: (code: string) => string): FailureRow[] {
  const groups = keyed<Stripe.Charge[]>(() => []);
  for (const c of charges)
    if (c.status === 'failed') groups.of(c.outcome?.reason ?? c.failure_code ?? 'unknown').push(c);
  return groups
    .entries()
    .map(([code, list]) => {
      const amounts = keyed((currency) => ({ currency, amount: 0, display: '' }));
      for (const c of list) amounts.of(c.currency).amount += c.amount;
      return {
        code,
        count: list.length,
        amounts: sorted(amounts.rows()).map((a) => ({ ...a, display: formatMoney(a.amount, a.currency) })),
        next_action: advice(code),
        examples: list.slice(0, 3).map((c) => idOf(c.payment_intent) ?? c.id),
      };
    })
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
}

export interface TopCustomerRow {
  customer: string;
  name: string | null;
  email: string | null;
  net: number;
  display: string;
  payments: number;
  refunded: number;
  /** Captured, not refunded, and disputed: not in `net` (the money was withdrawn when the dispute opened). */
  disputed: number;
}

/**
 * Customers by net revenue (captured, less refunded and disputed) of their charges in the period,
 * per currency, highest first. Charges without a customer are counted apart.
 */
export function topCustomersOf(
  charges: Stripe.Charge[],
  limit: number,
): { currency: string; customers: TopCustomerRow[]; without_customer: number; total_net: number }[] {
  const by = keyed((currency) => ({
    currency,
    customers: new Map<string, TopCustomerRow>(),
    without_customer: 0,
    total_net: 0,
  }));
  for (const c of charges) {
    if (c.status !== 'succeeded' || !c.captured) continue;
    const kept = c.amount_captured - c.amount_refunded;
    const disputed = c.disputed ? kept : 0;
    const net = kept - disputed;
    const row = by.of(c.currency);
    row.total_net += net;
    const who = idOf(c.customer);
    if (!who) {
      row.without_customer += net;
      continue;
    }
    // The customer's own record when the list expanded it (`data.customer`), else the charge's billing details.
    const record = typeof c.customer === 'object' && c.customer && !c.customer.deleted ? c.customer : null;
    const r = row.customers.get(who) ?? {
      customer: who,
      name: record?.name ?? c.billing_details?.name ?? null,
      email: record?.email ?? c.billing_details?.email ?? null,
      net: 0,
      display: '',
      payments: 0,
      refunded: 0,
      disputed: 0,
    };
    r.net += net;
    r.refunded += c.amount_refunded;
    r.disputed += disputed;
    r.payments++;
    row.customers.set(who, r);
  }
  return sorted(by.rows()).map((r) => ({
    currency: r.currency,
    total_net: r.total_net,
    without_customer: r.without_customer,
    customers: [...r.customers.values()]
      .sort((a, b) => b.net - a.net || a.customer.localeCompare(b.customer))
      .slice(0, limit)
      .map((c) => ({ ...c, display: formatMoney(c.net, r.currency) })),
  }));
}
