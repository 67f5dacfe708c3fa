import { decimalsOf } from '../../money/currencies.js';
import type { RouteTable } from '../app.js';
import { SandboxError } from '../errors.js';
import type { AccountStore, StripeObject } from '../store.js';
import { recordCharge } from './balance.js';
import { listRoute, retrieveRoute } from './common.js';
import { createDispute } from './disputes.js';
import { cardOf } from './payment-methods.js';

// Charges: the attempt behind every payment (test cards decide how it ends) and their routes.
export const MINIMUM_CHARGE: Record<string, number> = {
  usd: 50,
  eur: 50,
  gbp: 30,
  cad: 50,
  aud: 50,
  jpy: 50,
  chf: 50,
};

export function formatAmount(amount: number, cur: string): string {
  const digits = decimalsOf(cur);
  const v = (amount / 10 ** digits).toFixed(digits);
  return cur === 'usd' ? `$${v}` : `${v} ${cur.toUpperCase()}`;
}

export type ChargeOutcome =
  | { kind: 'succeeded'; charge: StripeObject }
  | {
      kind: 'declined';
      charge: StripeObject;
      decline: { code: string; decline_code?: string; message: string };
    }
  | { kind: 'requires_action' };

/** One attempt to charge a payment method: creates the charge Stripe would, succeeded or failed. */
export function attemptCharge(
  store: AccountStore,
  a: {
    amount: number;
    currency: string;
    customer: unknown;
    pm: StripeObject;
    capture: boolean;
    paymentIntent: string | null;
    description: unknown;
    offSession: boolean;
    /** The customer completed 3-D Secure for this attempt (the sandbox's authentication page). */
    authenticated?: boolean;
  },
): ChargeOutcome {
  const card = cardOf(store, a.pm.id);
  const challenge = card.authenticationRequired && !a.authenticated;
  if (challenge && !a.offSession) return { kind: 'requires_action' };
  const decline =
    card.decline ??
    (challenge
      ? {
          code: 'authentication_required',
          decline_code: 'authentication_required',
          message: 'Your card was declined. This transaction requires authentication.',
        }
      : undefined);
  const pmCard = a.pm.card as Record<string, unknown>;
  const charge = store.create<StripeObject>('ch', 'charge', {
    amount: a.amount,
    amount_captured: decline || !a.capture ? 0 : a.amount,
    amount_refunded: 0,
    balance_transaction: null,
    billing_details: a.pm.billing_details,
    captured: !decline && a.capture,
    currency: a.currency,
    customer: a.customer ?? null,
    description: a.description ?? null,
    disputed: false,
    failure_code: decline?.code ?? null,
    failure_message: decline?.message ?? null,
    metadata: {},
    outcome: decline
      ? {
          network_status: 'declined_by_network',
          reason: decline.decline_code ?? null,
          risk_level: 'normal',
          seller_message: 'The bank did not return any further details with this decline.',
          type: 'issuer_declined',
        }
      : {
          network_status: 'approved_by_network',
          reason: null,
          risk_level: 'normal',
          seller_message: 'Payment complete.',
          type: 'authorized',
        },
    paid: !decline,
    payment_intent: a.paymentIntent,
    payment_method: a.pm.id,
    payment_method_details: {
      card: {
        brand: pmCard.brand,
        last4: pmCard.last4,
        exp_month: pmCard.exp_month,
        exp_year: pmCard.exp_year,
        funding: pmCard.funding,
        country: 'US',
      },
      type: 'card',
    },
    receipt_email: null,
    receipt_url: null,
    refunded: false,
    status: decline ? 'failed' : 'succeeded',
  });
  if (decline) {
    store.emit('charge.failed', charge);
    return { kind: 'declined', charge, decline };
  }
  if (a.capture) recordCharge(store, charge);
  store.emit('charge.succeeded', charge);
  if (a.capture) store.emit('charge.captured', charge);
  if (card.dispute) createDispute(store, charge);
  return { kind: 'succeeded', charge };
}

export function cardError(
  decline: { code: string; decline_code?: string; message: string },
  extra: { charge?: string; payment_intent?: StripeObject; param?: string },
): SandboxError {
  return new SandboxError(402, 'card_error', decline.message, {
    code: decline.code,
    decline_code: decline.decline_code,
    param: extra.param,
    charge: extra.charge,
    payment_intent: extra.payment_intent ? structuredClone(extra.payment_intent) : undefined,
  });
}

export function chargeRoutes(routes: RouteTable): void {
  retrieveRoute(routes, '/v1/charges/:id', 'charge');
  listRoute(routes, '/v1/charges', 'charge', ['customer', 'payment_intent']);
}
