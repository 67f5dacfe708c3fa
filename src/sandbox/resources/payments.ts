import { decimalsOf } from '../../money/currencies.js';
import type { RouteTable } from '../app.js';
import { invalid, SandboxError, unexpectedState } from '../errors.js';
import { bool, currency, int, metadata, obj, str, arr, type Params } from '../params.js';
import type { AccountStore, StripeObject } from '../store.js';
import { listRoute, retrieveRoute } from './common.js';
import { cardOf, resolvePaymentMethod } from './payment-methods.js';

const MINIMUM_CHARGE: Record<string, number> = {
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
  },
): ChargeOutcome {
  const card = cardOf(store, a.pm.id);
  if (card.authenticationRequired && !a.offSession) return { kind: 'requires_action' };
  const decline =
    card.decline ??
    (card.authenticationRequired
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
  store.emit('charge.succeeded', charge);
  if (a.capture) store.emit('charge.captured', charge);
  if (card.dispute) createDispute(store, charge);
  return { kind: 'succeeded', charge };
}

function createDispute(store: AccountStore, charge: StripeObject): void {
  charge.disputed = true;
  const dispute = store.create<StripeObject>('dp', 'dispute', {
    amount: charge.amount,
    balance_transactions: [],
    charge: charge.id,
    currency: charge.currency,
    evidence: Object.fromEntries(EVIDENCE_FIELDS.map((f) => [f, null])),
    evidence_details: {
      due_by: store.now() + 7 * 86400,
      has_evidence: false,
      past_due: false,
      submission_count: 0,
    },
    is_charge_refundable: false,
    metadata: {},
    payment_intent: charge.payment_intent,
    reason: 'fraudulent',
    status: 'needs_response',
  });
  store.emit('charge.dispute.created', dispute);
}

const EVIDENCE_FIELDS = [
  'access_activity_log',
  'billing_address',
  'cancellation_policy',
  'cancellation_policy_disclosure',
  'cancellation_rebuttal',
  'customer_communication',
  'customer_email_address',
  'customer_name',
  'customer_purchase_ip',
  'customer_signature',
  'duplicate_charge_documentation',
  'duplicate_charge_explanation',
  'duplicate_charge_id',
  'product_description',
  'receipt',
  'refund_policy',
  'refund_policy_disclosure',
  'refund_refusal_explanation',
  'service_date',
  'service_documentation',
  'shipping_address',
  'shipping_carrier',
  'shipping_date',
  'shipping_documentation',
  'shipping_tracking_number',
  'uncategorized_file',
  'uncategorized_text',
];

function cardError(
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

const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
const CANCELABLE = [
  'requires_payment_method',
  'requires_capture',
  'requires_confirmation',
  'requires_action',
];

export function confirm(store: AccountStore, pi: StripeObject, params: Params): StripeObject {
  if (!CONFIRMABLE.includes(pi.status as string)) {
    throw invalid(
      `You cannot confirm this PaymentIntent because it has a status of ${String(pi.status)}. Only a PaymentIntent with one of the following statuses may be confirmed: ${CONFIRMABLE.join(', ')}.`,
      undefined,
      'payment_intent_unexpected_state',
    );
  }
  const pmParam = str(params, 'payment_method');
  if (pmParam) pi.payment_method = resolvePaymentMethod(store, pmParam).id;
  if (!pi.payment_method) {
    throw invalid(
      "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent with cus_..., specify a payment method attached to this customer along with the customer ID.",
      'payment_method',
      'payment_intent_unexpected_state',
    );
  }
  const pm = store.require('payment_method', pi.payment_method as string, 'payment_method');
  if (pm.customer && pi.customer && pm.customer !== pi.customer) {
    throw invalid('The provided PaymentMethod belongs to another customer.', 'payment_method');
  }
  const offSession = bool(params, 'off_session') ?? false;
  const manual = pi.capture_method === 'manual';
  const outcome = attemptCharge(store, {
    amount: pi.amount as number,
    currency: pi.currency as string,
    customer: pi.customer,
    pm,
    capture: !manual,
    paymentIntent: pi.id,
    description: pi.description,
    offSession,
  });
  if (outcome.kind === 'requires_action') {
    pi.status = 'requires_action';
    pi.next_action = {
      type: 'use_stripe_sdk',
      use_stripe_sdk: {
        type: 'three_d_secure_redirect',
        stripe_js: 'https://hooks.stripe.com/3d_secure_2/hosted',
      },
    };
    store.emit('payment_intent.requires_action', pi);
    return pi;
  }
  pi.latest_charge = outcome.charge.id;
  pi.next_action = null;
  if (outcome.kind === 'declined') {
    pi.status = 'requires_payment_method';
    pi.last_payment_error = {
      charge: outcome.charge.id,
      code: outcome.decline.code,
      decline_code: outcome.decline.decline_code,
      message: outcome.decline.message,
      payment_method: structuredClone(pm),
      type: 'card_error',
    };
    pi.payment_method = null;
    store.emit('payment_intent.payment_failed', pi);
    throw cardError(outcome.decline, { charge: outcome.charge.id, payment_intent: pi });
  }
  pi.last_payment_error = null;
  if (manual) {
    pi.status = 'requires_capture';
    pi.amount_capturable = pi.amount;
    store.emit('payment_intent.amount_capturable_updated', pi);
  } else {
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    store.emit('payment_intent.succeeded', pi);
  }
  return pi;
}

export function createPaymentIntent(store: AccountStore, params: Params, internal = false): StripeObject {
  const amount = int(params, 'amount', { required: true, min: 1, max: 99_999_999 });
  const cur = currency(params);
  const minimum = MINIMUM_CHARGE[cur];
  if (!internal && minimum !== undefined && amount < minimum) {
    throw invalid(
      `Amount must be at least ${formatAmount(minimum, cur)} ${cur}`,
      'amount',
      'amount_too_small',
    );
  }
  const customer = str(params, 'customer');
  if (customer) store.require('customer', customer, 'customer');
  const captureMethod =
    str(params, 'capture_method', { oneOf: ['automatic', 'automatic_async', 'manual'] }) ?? 'automatic_async';
  const pmParam = str(params, 'payment_method');
  const types = arr(params, 'payment_method_types')?.map(String) ?? ['card'];
  const pi = store.create<StripeObject>('pi', 'payment_intent', {
    amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    automatic_payment_methods: obj(params, 'automatic_payment_methods')
      ? { enabled: true, allow_redirects: 'always' }
      : null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: captureMethod,
    client_secret: '',
    confirmation_method:
      str(params, 'confirmation_method', { oneOf: ['automatic', 'manual'] }) ?? 'automatic',
    currency: cur,
    customer: customer ?? null,
    description: str(params, 'description') ?? null,
    last_payment_error: null,
    latest_charge: null,
    metadata: metadata(params),
    next_action: null,
    payment_method: null,
    payment_method_types: types,
    receipt_email: str(params, 'receipt_email') ?? null,
    setup_future_usage: str(params, 'setup_future_usage', { oneOf: ['off_session', 'on_session'] }) ?? null,
    statement_descriptor: str(params, 'statement_descriptor') ?? null,
    status: 'requires_payment_method',
  });
  pi.client_secret = `${pi.id}_secret_sandbox`;
  try {
    if (pmParam) {
      pi.payment_method = resolvePaymentMethod(store, pmParam).id;
      pi.status = 'requires_confirmation';
    }
  } catch (err) {
    store.remove(pi.id);
    throw err;
  }
  store.emit('payment_intent.created', pi);
  if (bool(params, 'confirm')) confirm(store, pi, {});
  return pi;
}

function capturedCharge(store: AccountStore, pi: StripeObject): StripeObject {
  return store.require('charge', pi.latest_charge as string);
}

export function paymentRoutes(routes: RouteTable): void {
  routes.add('POST', '/v1/payment_intents', ({ store, params }) => {
    if (bool(params, 'confirm') && bool(params, 'off_session')) {
      const pi = createPaymentIntent(store, { ...params, confirm: 'false' });
      return confirm(store, pi, { off_session: 'true' });
    }
    return createPaymentIntent(store, params);
  });
  retrieveRoute(routes, '/v1/payment_intents/:id', 'payment_intent');
  listRoute(routes, '/v1/payment_intents', 'payment_intent', ['customer']);
  routes.add('POST', '/v1/payment_intents/:id', ({ store, path, params }) => {
    const pi = store.require('payment_intent', path.id!);
    if (
      ['succeeded', 'canceled', 'processing'].includes(pi.status as string) &&
      ('amount' in params || 'currency' in params)
    ) {
      throw unexpectedState(
        `You cannot update the amount of a PaymentIntent with status ${String(pi.status)}.`,
      );
    }
    const amount = int(params, 'amount', { min: 1 });
    if (amount !== undefined) pi.amount = amount;
    for (const f of ['description', 'receipt_email']) if (f in params) pi[f] = str(params, f) ?? null;
    if ('metadata' in params) pi.metadata = metadata(params, pi.metadata as Record<string, string>);
    const pm = str(params, 'payment_method');
    if (pm) {
      pi.payment_method = resolvePaymentMethod(store, pm).id;
      if (pi.status === 'requires_payment_method') pi.status = 'requires_confirmation';
    }
    store.emit('payment_intent.updated', pi);
    return pi;
  });
  routes.add('POST', '/v1/payment_intents/:id/confirm', ({ store, path, params }) =>
    confirm(store, store.require('payment_intent', path.id!), params),
  );
  routes.add('POST', '/v1/payment_intents/:id/capture', ({ store, path, params }) => {
    const pi = store.require('payment_intent', path.id!);
    if (pi.status !== 'requires_capture') {
      throw invalid(
        `This PaymentIntent could not be captured because it has a status of ${String(pi.status)}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
        undefined,
        'payment_intent_unexpected_state',
      );
    }
    const capturable = pi.amount_capturable as number;
    const amount = int(params, 'amount_to_capture', { min: 1 }) ?? capturable;
    if (amount > capturable) {
      throw invalid(
        `The amount to capture (${amount}) must be less than or equal to the amount capturable (${capturable}).`,
        'amount_to_capture',
        'amount_too_large',
      );
    }
    const charge = capturedCharge(store, pi);
    charge.captured = true;
    charge.amount_captured = amount;
    pi.amount_received = amount;
    pi.amount_capturable = 0;
    pi.status = 'succeeded';
    if ('metadata' in params) pi.metadata = metadata(params, pi.metadata as Record<string, string>);
    store.emit('charge.captured', charge);
    store.emit('payment_intent.succeeded', pi);
    return pi;
  });
  routes.add('POST', '/v1/payment_intents/:id/cancel', ({ store, path, params }) => {
    const pi = store.require('payment_intent', path.id!);
    if (!CANCELABLE.includes(pi.status as string)) {
      throw invalid(
        `You cannot cancel this PaymentIntent because it has a status of ${String(pi.status)}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`,
        undefined,
        'payment_intent_unexpected_state',
      );
    }
    pi.cancellation_reason =
      str(params, 'cancellation_reason', {
        oneOf: ['abandoned', 'duplicate', 'fraudulent', 'requested_by_customer'],
      }) ?? null;
    pi.status = 'canceled';
    pi.canceled_at = store.now();
    pi.amount_capturable = 0;
    pi.next_action = null;
    store.emit('payment_intent.canceled', pi);
    return pi;
  });

  retrieveRoute(routes, '/v1/charges/:id', 'charge');
  listRoute(routes, '/v1/charges', 'charge', ['customer', 'payment_intent']);

  routes.add('POST', '/v1/refunds', ({ store, params }) => {
    const piId = str(params, 'payment_intent');
    const chId = str(params, 'charge');
    if (!piId && !chId)
      throw invalid(
        'One of the following params should be provided for this request: payment_intent or charge.',
        'payment_intent',
        'parameter_missing',
      );
    let charge: StripeObject;
    if (piId) {
      const pi = store.require('payment_intent', piId, 'payment_intent');
      if (pi.status !== 'succeeded' || !pi.latest_charge) {
        throw invalid(
          `This PaymentIntent (${pi.id}) does not have a successful charge to refund.`,
          'payment_intent',
          'charge_not_refundable',
        );
      }
      charge = capturedCharge(store, pi);
    } else {
      charge = store.require('charge', chId!, 'charge');
    }
    const cur = charge.currency as string;
    const refundable = (charge.amount_captured as number) - (charge.amount_refunded as number);
    if (!charge.captured || refundable <= 0) {
      throw invalid(`Charge ${charge.id} has already been refunded.`, undefined, 'charge_already_refunded');
    }
    const amount = int(params, 'amount', { min: 1 }) ?? refundable;
    if (amount > refundable) {
      throw invalid(
        `Refund amount (${formatAmount(amount, cur)}) is greater than unrefunded amount on charge (${formatAmount(refundable, cur)})`,
        'amount',
        'amount_too_large',
      );
    }
    const refund = store.create<StripeObject>('re', 'refund', {
      amount,
      balance_transaction: null,
      charge: charge.id,
      currency: cur,
      destination_details: { card: { type: 'refund' }, type: 'card' },
      metadata: metadata(params),
      payment_intent: charge.payment_intent,
      reason: str(params, 'reason', { oneOf: ['duplicate', 'fraudulent', 'requested_by_customer'] }) ?? null,
      receipt_number: null,
      status: 'succeeded',
    });
    charge.amount_refunded = (charge.amount_refunded as number) + amount;
    charge.refunded = charge.amount_refunded === charge.amount_captured;
    store.emit('refund.created', refund);
    store.emit('charge.refunded', charge);
    return refund;
  });
  retrieveRoute(routes, '/v1/refunds/:id', 'refund');
  listRoute(routes, '/v1/refunds', 'refund', ['payment_intent', 'charge']);

  retrieveRoute(routes, '/v1/disputes/:id', 'dispute');
  listRoute(routes, '/v1/disputes', 'dispute', ['charge', 'payment_intent']);
  routes.add('POST', '/v1/disputes/:id', ({ store, path, params }) => {
    const d = store.require('dispute', path.id!);
    if (
      !['needs_response', 'warning_needs_response', 'under_review', 'warning_under_review'].includes(
        d.status as string,
      )
    ) {
      throw invalid(
        `This dispute is already closed (status: ${String(d.status)}); its evidence can no longer be updated.`,
        undefined,
        'dispute_already_closed',
      );
    }
    const evidence = obj(params, 'evidence');
    if (evidence) {
      for (const [k, v] of Object.entries(evidence)) {
        if (!EVIDENCE_FIELDS.includes(k))
          throw invalid(`Received unknown parameter: evidence[${k}]`, `evidence[${k}]`);
        if (typeof v !== 'string') throw invalid(`Invalid string: evidence[${k}]`, `evidence[${k}]`);
      }
      d.evidence = { ...(d.evidence as object), ...evidence };
      (d.evidence_details as Record<string, unknown>).has_evidence = true;
    }
    if ('metadata' in params) d.metadata = metadata(params, d.metadata as Record<string, string>);
    if (bool(params, 'submit') ?? true) {
      if (evidence || d.status !== 'under_review') {
        d.status = 'under_review';
        const details = d.evidence_details as Record<string, number>;
        details.submission_count = (details.submission_count ?? 0) + 1;
      }
    }
    store.emit('charge.dispute.updated', d);
    return d;
  });
  routes.add('POST', '/v1/disputes/:id/close', ({ store, path }) => {
    const d = store.require('dispute', path.id!);
    d.status = 'lost';
    store.emit('charge.dispute.closed', d);
    return d;
  });
}
