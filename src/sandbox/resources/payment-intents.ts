import type { RouteTable } from '../app.js';
import { invalid, unexpectedState } from '../errors.js';
import { bool, currency, int, metadata, obj, str, arr, type Params } from '../params.js';
import type { AccountStore, StripeObject } from '../store.js';
import { recordCharge } from './balance.js';
import { attemptCharge, cardError, formatAmount, MINIMUM_CHARGE } from './charges.js';
import { listRoute, retrieveRoute } from './common.js';
import { resolvePaymentMethod } from './payment-methods.js';

// Payment intents: create, confirm (3-D Secure, declines), capture, cancel.
const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
const CANCELABLE = [
  'requires_payment_method',
  'requires_capture',
  'requires_confirmation',
  'requires_action',
];

/** Where the sandbox's 3-D Secure page for a payment intent is (see hosted.ts). */
export const authenticatePath = (id: string) => `/3ds/authenticate/${id}`;

/**
 * Confirms a payment intent. `origin` (where the sandbox listens) lets a confirmation with
 * `return_url` that needs 3-D Secure answer `redirect_to_url` with the sandbox's authentication page,
 * as Stripe answers with its own; without either it answers `use_stripe_sdk`, as Stripe does.
 */
export function confirm(
  store: AccountStore,
  pi: StripeObject,
  params: Params,
  origin?: string,
): StripeObject {
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
  const returnUrl = str(params, 'return_url');
  return charge(store, pi, pm, {
    offSession: bool(params, 'off_session') ?? false,
    redirect:
      returnUrl && origin ? { url: `${origin}${authenticatePath(pi.id)}`, return_url: returnUrl } : undefined,
  });
}

/**
 * The customer's answer on the authentication page: a charge without a second challenge, or the
 * failure Stripe reports (`payment_intent_authentication_failure`, the intent back to needing a
 * payment method).
 */
export function completeAuthentication(store: AccountStore, pi: StripeObject, passed: boolean): StripeObject {
  const pm = store.require('payment_method', pi.payment_method as string);
  if (passed) return charge(store, pi, pm, { offSession: false, authenticated: true });
  pi.status = 'requires_payment_method';
  pi.next_action = null;
  pi.last_payment_error = {
    code: 'payment_intent_authentication_failure',
    message:
      'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
    payment_method: structuredClone(pm),
    type: 'invalid_request_error',
  };
  pi.payment_method = null;
  store.emit('payment_intent.payment_failed', pi);
  return pi;
}

function charge(
  store: AccountStore,
  pi: StripeObject,
  pm: StripeObject,
  o: { offSession: boolean; authenticated?: boolean; redirect?: { url: string; return_url: string } },
): StripeObject {
  const manual = pi.capture_method === 'manual';
  const outcome = attemptCharge(store, {
    amount: pi.amount as number,
    currency: pi.currency as string,
    customer: pi.customer,
    pm,
    capture: !manual,
    paymentIntent: pi.id,
    description: pi.description,
    offSession: o.offSession,
    authenticated: o.authenticated,
  });
  if (outcome.kind === 'requires_action') {
    pi.status = 'requires_action';
    pi.next_action = o.redirect
      ? { type: 'redirect_to_url', redirect_to_url: o.redirect }
      : {
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

export function createPaymentIntent(
  store: AccountStore,
  params: Params,
  internal = false,
  origin?: string,
): StripeObject {
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
  if (bool(params, 'confirm')) confirm(store, pi, pick(params, 'return_url'), origin);
  return pi;
}

const pick = (params: Params, key: string): Params => (key in params ? { [key]: params[key] } : {});

export function capturedCharge(store: AccountStore, pi: StripeObject): StripeObject {
  return store.require('charge', pi.latest_charge as string);
}

export function paymentIntentRoutes(routes: RouteTable): void {
  routes.add('POST', '/v1/payment_intents', ({ store, params, sandbox }) => {
    if (bool(params, 'confirm') && bool(params, 'off_session')) {
      const pi = createPaymentIntent(store, { ...params, confirm: 'false' });
      return confirm(store, pi, { off_session: 'true' });
    }
    return createPaymentIntent(store, params, false, sandbox.origin);
  });
  retrieveRoute(routes, '/v1/payment_intents/:id', 'payment_intent');
  listRoute(routes, '/v1/payment_intents', 'payment_intent', ['customer']);
  routes.add('POST', '/v1/payment_intents/:id', ({ store, path, params }) => {
    const pi = store.require('payment_intent', path.id!);
    // Once authorized (requires_capture) the amount is fixed: Stripe changes it only by capturing less
    // or by incremental authorization, neither of which is an update.
    const amendable = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
    if (!amendable.includes(pi.status) && ('amount' in params || 'currency' in params)) {
      throw unexpectedState(
        `This PaymentIntent's amount could not be updated because it has a status of ${String(pi.status)}. You may only update the amount of a PaymentIntent with one of the following statuses: ${amendable.join(', ')}.`,
      );
    }
    const amount = int(params, 'amount', { min: 1 });
    if (amount !== undefined) pi.amount = amount;
    for (const f of ['description', 'receipt_email']) if (f in params) pi[f] = str(params, f) ?? null;
    if ('metadata' in params) pi.metadata = metadata(params, pi.metadata);
    const pm = str(params, 'payment_method');
    if (pm) {
      pi.payment_method = resolvePaymentMethod(store, pm).id;
      if (pi.status === 'requires_payment_method') pi.status = 'requires_confirmation';
    }
    store.emit('payment_intent.updated', pi);
    return pi;
  });
  routes.add('POST', '/v1/payment_intents/:id/confirm', ({ store, path, params, sandbox }) =>
    confirm(store, store.require('payment_intent', path.id!), params, sandbox.origin),
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
    const capturable = pi.amount_capturable;
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
    recordCharge(store, charge);
    pi.amount_received = amount;
    pi.amount_capturable = 0;
    pi.status = 'succeeded';
    if ('metadata' in params) pi.metadata = metadata(params, pi.metadata);
    store.emit('charge.captured', charge);
    store.emit('payment_intent.succeeded', pi);
    return pi;
  });
  routes.add('POST', '/v1/payment_intents/:id/cancel', ({ store, path, params }) => {
    const pi = store.require('payment_intent', path.id!);
    if (!CANCELABLE.includes(pi.status)) {
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
}
