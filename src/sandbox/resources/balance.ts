import { decimalsOf } from '../../money/currencies.js';
import type { RouteTable } from '../app.js';
import { invalid } from '../errors.js';
import { int, metadata, str } from '../params.js';
import type { AccountStore, StripeObject } from '../store.js';
import { listRoute } from './common.js';
import { cardOf } from './payment-methods.js';

// Balance transactions (every movement of the account's money: charges, refunds, disputes, Stripe's
// fees, payouts), payouts, and the balance derived from them, as Stripe keeps them.

const DAY = 86_400;
/** Funds from a charge become available two days later (Stripe's standard US schedule). */
const AVAILABLE_AFTER = 2 * DAY;
/** A standard payout arrives two days after it is made. */
const PAYOUT_ARRIVES_AFTER = 2 * DAY;
/** Stripe's fee for a dispute, in the currency's minor units: 15.00, or 2,000 in a zero-decimal currency. */
const disputeFee = (currency: string) => (decimalsOf(currency) === 0 ? 2000 : 1500);

/**
 * The sandbox's fee schedule: 2.9% + 30 minor units for a card charge, 3.6% with no fixed part in a
 * zero-decimal currency (as Stripe charges in Japan).
 */
export function stripeFee(amount: number, currency: string): number {
  return decimalsOf(currency) === 0 ? Math.round(amount * 0.036) : Math.round(amount * 0.029) + 30;
}

interface Movement {
  amount: number;
  currency: string;
  fee: number;
  type: 'charge' | 'refund' | 'adjustment' | 'payout' | 'payout_cancel';
  reportingCategory: 'charge' | 'refund' | 'dispute' | 'payout' | 'payout_reversal';
  source: string;
  description: string | null;
  availableOn: number;
}

function record(store: AccountStore, m: Movement): StripeObject {
  return store.create('txn', 'balance_transaction', {
    amount: m.amount,
    available_on: m.availableOn,
    currency: m.currency,
    description: m.description,
    exchange_rate: null,
    fee: m.fee,
    fee_details: m.fee
      ? [
          {
            amount: m.fee,
            application: null,
            currency: m.currency,
            description: m.type === 'adjustment' ? 'Dispute fee' : 'Stripe processing fees',
            type: 'stripe_fee',
          },
        ]
      : [],
    net: m.amount - m.fee,
    reporting_category: m.reportingCategory,
    source: m.source,
    status: m.availableOn <= store.now() ? 'available' : 'pending',
    type: m.type,
  });
}

/** A captured charge: its amount, less Stripe's fee, available two days on (at once for pm_card_bypassPending). */
export function recordCharge(store: AccountStore, charge: StripeObject): void {
  const amount = charge.amount_captured as number;
  const bypass = cardOf(store, charge.payment_method as string).bypassPending === true;
  const txn = record(store, {
    amount,
    currency: charge.currency as string,
    fee: stripeFee(amount, charge.currency as string),
    type: 'charge',
    reportingCategory: 'charge',
    source: charge.id,
    description: (charge.description as string | null) ?? null,
    availableOn: store.now() + (bypass ? 0 : AVAILABLE_AFTER),
  });
  charge.balance_transaction = txn.id;
}

/** A refund takes its amount back at once; Stripe keeps the charge's fee. */
export function recordRefund(store: AccountStore, refund: StripeObject): void {
  const txn = record(store, {
    amount: -(refund.amount as number),
    currency: refund.currency as string,
    fee: 0,
    type: 'refund',
    reportingCategory: 'refund',
    source: refund.id,
    description: 'REFUND FOR CHARGE',
    availableOn: store.now(),
  });
  refund.balance_transaction = txn.id;
}

/** A dispute withdraws the disputed amount and the dispute fee when it opens. */
export function recordDispute(store: AccountStore, dispute: StripeObject): void {
  const currency = dispute.currency as string;
  const txn = record(store, {
    amount: -(dispute.amount as number),
    currency,
    fee: disputeFee(currency),
    type: 'adjustment',
    reportingCategory: 'dispute',
    source: dispute.id,
    description: `Chargeback withdrawal for ${String(dispute.charge)}`,
    availableOn: store.now(),
  });
  dispute.balance_transactions = [txn];
}

/** Per currency: what is available now and what is still pending, from the balance transactions. */
export function balanceOf(store: AccountStore): StripeObject {
  const now = store.now();
  const available = new Map<string, number>();
  const pending = new Map<string, number>();
  for (const t of store.all('balance_transaction')) {
    const into = t.available_on <= now ? available : pending;
    into.set(t.currency, (into.get(t.currency) ?? 0) + t.net);
    if (!pending.has(t.currency)) pending.set(t.currency, 0);
    if (!available.has(t.currency)) available.set(t.currency, 0);
  }
  if (available.size === 0) [available, pending].forEach((m) => m.set('usd', 0));
  const entries = (m: Map<string, number>) =>
    [...m].map(([currency, amount]) => ({ amount, currency, source_types: { card: amount } }));
  return {
    object: 'balance',
    available: entries(available),
    pending: entries(pending),
    connect_reserved: [...available.keys()].map((currency) => ({ amount: 0, currency })),
    livemode: false,
  } as unknown as StripeObject;
}

/** Status as of now: a transaction becomes available on its day, a payout is paid when it arrives. */
function refresh(store: AccountStore, o: StripeObject): StripeObject {
  const now = store.now();
  if (o.object === 'balance_transaction' && o.status === 'pending' && (o.available_on as number) <= now)
    o.status = 'available';
  if (o.object === 'payout' && o.status === 'pending' && (o.arrival_date as number) <= now) {
    o.status = 'paid';
    store.emit('payout.paid', o);
  }
  return o;
}

export function balanceRoutes(routes: RouteTable): void {
  routes.add('GET', '/v1/balance', ({ store }) => balanceOf(store));
  routes.add('GET', '/v1/balance_transactions/:id', ({ store, path }) =>
    refresh(store, store.require('balance_transaction', path.id!)),
  );
  listRoute(
    routes,
    '/v1/balance_transactions',
    'balance_transaction',
    ['type', 'source', 'currency'],
    (o, p, store) => {
      refresh(store, o);
      const payout = str(p, 'payout');
      return payout ? o.payout === payout : true;
    },
  );

  routes.add('POST', '/v1/payouts', ({ store, params }) => {
    const amount = int(params, 'amount', { required: true, min: 1 });
    const currency = str(params, 'currency', { required: true }).toLowerCase();
    const method = str(params, 'method', { oneOf: ['standard', 'instant'] }) ?? 'standard';
    const have = balanceOf(store).available as { amount: number; currency: string }[];
    const available = have.find((b) => b.currency === currency)?.amount ?? 0;
    if (amount > available) {
      throw invalid(
        `You have insufficient funds in your Stripe account for this payout: ${amount} ${currency} requested, ${available} available (funds from charges become available two days after the charge). GET /v1/balance shows what is available.`,
        'amount',
        'balance_insufficient',
      );
    }
    const arrival = store.now() + (method === 'instant' ? 0 : PAYOUT_ARRIVES_AFTER);
    const payout = store.create('po', 'payout', {
      amount,
      arrival_date: arrival,
      automatic: false,
      balance_transaction: null,
      currency,
      description: str(params, 'description') ?? null,
      destination: 'ba_sandbox_bank_account',
      failure_code: null,
      failure_message: null,
      metadata: metadata(params),
      method,
      reconciliation_status: 'not_applicable',
      source_type: 'card',
      statement_descriptor: str(params, 'statement_descriptor') ?? null,
      status: method === 'instant' ? 'paid' : 'pending',
      type: 'bank_account',
    });
    const txn = record(store, {
      amount: -amount,
      currency,
      fee: 0,
      type: 'payout',
      reportingCategory: 'payout',
      source: payout.id,
      description: payout.description ?? 'STRIPE PAYOUT',
      availableOn: store.now(),
    });
    txn.payout = payout.id;
    payout.balance_transaction = txn.id;
    store.emit('payout.created', payout);
    if (payout.status === 'paid') store.emit('payout.paid', payout);
    return payout;
  });
  routes.add('GET', '/v1/payouts/:id', ({ store, path }) =>
    refresh(store, store.require('payout', path.id!)),
  );
  // Refreshed before the status filter: a payout that has arrived lists as paid.
  listRoute(routes, '/v1/payouts', 'payout', ['currency', 'destination'], (o, p, store) => {
    refresh(store, o);
    const status = str(p, 'status');
    return status ? o.status === status : true;
  });
  routes.add('POST', '/v1/payouts/:id/cancel', ({ store, path }) => {
    const payout = refresh(store, store.require('payout', path.id!));
    if (payout.status !== 'pending') {
      throw invalid(
        `Payout ${payout.id} cannot be canceled: only a pending payout can be, and this one is ${String(payout.status)}.`,
        undefined,
        'payout_not_cancelable',
      );
    }
    payout.status = 'canceled';
    const txn = record(store, {
      amount: payout.amount as number,
      currency: payout.currency as string,
      fee: 0,
      type: 'payout_cancel',
      reportingCategory: 'payout_reversal',
      source: payout.id,
      description: 'Payout canceled',
      availableOn: store.now(),
    });
    txn.payout = payout.id;
    store.emit('payout.canceled', payout);
    return payout;
  });
}
