import type { RouteTable } from '../app.js';
import { invalid, notFound } from '../errors.js';
import { str } from '../params.js';
import { paginate, type AccountStore, type StripeObject } from '../store.js';

export interface TestCard {
  brand: string;
  last4: string;
  funding: string;
  /** A decline on every charge attempt. */
  decline?: { code: string; decline_code?: string; message: string };
  /** Always needs 3-D Secure on-session; declines off-session. */
  authenticationRequired?: boolean;
  /** Succeeds, then the payment is disputed. */
  dispute?: boolean;
  /** Its charges' funds are available at once, not two days later. */
  bypassPending?: boolean;
}

/** Stripe's test payment methods, by the names Stripe documents. */
export const TEST_CARDS: Record<string, TestCard> = {
  pm_card_visa: { brand: 'visa', last4: '4242', funding: 'credit' },
  pm_card_visa_debit: { brand: 'visa', last4: '5556', funding: 'debit' },
  pm_card_mastercard: { brand: 'mastercard', last4: '4444', funding: 'credit' },
  pm_card_amex: { brand: 'amex', last4: '8431', funding: 'credit' },
  pm_card_chargeDeclined: {
    brand: 'visa',
    last4: '0002',
    funding: 'credit',
    decline: { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' },
  },
  /** Attaches to a customer; every charge after that is declined (Stripe's 4000 0000 0000 0341). */
  pm_card_chargeCustomerFail: {
    brand: 'visa',
    last4: '0341',
    funding: 'credit',
    decline: { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' },
  },
  pm_card_chargeDeclinedInsufficientFunds: {
    brand: 'visa',
    last4: '9995',
    funding: 'credit',
    decline: {
      code: 'card_declined',
      decline_code: 'insufficient_funds',
      message: 'Your card has insufficient funds.',
    },
  },
  pm_card_chargeDeclinedLostCard: {
    brand: 'visa',
    last4: '9987',
    funding: 'credit',
    decline: { code: 'card_declined', decline_code: 'lost_card', message: 'Your card was declined.' },
  },
  pm_card_chargeDeclinedStolenCard: {
    brand: 'visa',
    last4: '9979',
    funding: 'credit',
    decline: { code: 'card_declined', decline_code: 'stolen_card', message: 'Your card was declined.' },
  },
  pm_card_chargeDeclinedExpiredCard: {
    brand: 'visa',
    last4: '0069',
    funding: 'credit',
    decline: { code: 'expired_card', decline_code: 'expired_card', message: 'Your card has expired.' },
  },
  pm_card_chargeDeclinedIncorrectCvc: {
    brand: 'visa',
    last4: '0127',
    funding: 'credit',
    decline: {
      code: 'incorrect_cvc',
      decline_code: 'incorrect_cvc',
      message: "Your card's security code is incorrect.",
    },
  },
  pm_card_chargeDeclinedProcessingError: {
    brand: 'visa',
    last4: '0119',
    funding: 'credit',
    decline: {
      code: 'processing_error',
      decline_code: 'processing_error',
      message: 'An error occurred while processing your card. Try again in a little bit.',
    },
  },
  pm_card_authenticationRequired: {
    brand: 'visa',
    last4: '3184',
    funding: 'credit',
    authenticationRequired: true,
  },
  pm_card_createDispute: { brand: 'visa', last4: '0259', funding: 'credit', dispute: true },
  pm_card_bypassPending: { brand: 'visa', last4: '0077', funding: 'credit', bypassPending: true },
};

/** The test-card behaviour of a stored payment method. */
export function cardOf(store: AccountStore, pmId: string): TestCard {
  return TEST_CARDS[store.testCards.get(pmId) ?? 'pm_card_visa'] ?? TEST_CARDS.pm_card_visa!;
}

/**
 * Resolves a `payment_method` parameter: a stored `pm_…`, or one of Stripe's test tokens, which
 * (as on Stripe) creates a new payment method each time it is used.
 */
export function resolvePaymentMethod(
  store: AccountStore,
  id: string,
  param = 'payment_method',
): StripeObject {
  const template = TEST_CARDS[id];
  if (!template) return store.require('payment_method', id, param);
  const pm = store.create<StripeObject>('pm', 'payment_method', {
    allow_redisplay: 'unspecified',
    billing_details: { address: null, email: null, name: null, phone: null },
    card: {
      brand: template.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: 'US',
      display_brand: template.brand,
      exp_month: 12,
      exp_year: new Date().getUTCFullYear() + 3,
      fingerprint: `fp${template.last4}sandbox`,
      funding: template.funding,
      last4: template.last4,
      networks: { available: [template.brand], preferred: null },
      wallet: null,
    },
    customer: null,
    metadata: {},
    type: 'card',
  });
  store.testCards.set(pm.id, id);
  return pm;
}

export function attachPaymentMethod(store: AccountStore, id: string, customerId: string): StripeObject {
  const pm = resolvePaymentMethod(store, id);
  if (pm.customer && pm.customer !== customerId) {
    throw invalid(
      'The payment method you provided has already been attached to a customer.',
      'payment_method',
      'payment_method_unexpected_state',
    );
  }
  pm.customer = customerId;
  store.emit('payment_method.attached', pm);
  return pm;
}

export function paymentMethodRoutes(routes: RouteTable): void {
  routes.add('POST', '/v1/payment_methods/:id/attach', ({ store, path, params }) => {
    const customer = str(params, 'customer', { required: true });
    store.require('customer', customer, 'customer');
    return attachPaymentMethod(store, path.id!, customer);
  });
  routes.add('POST', '/v1/payment_methods/:id/detach', ({ store, path }) => {
    const pm = store.require('payment_method', path.id!);
    if (!pm.customer) {
      throw invalid(
        'The payment method you provided is not attached to a customer so detachment is impossible.',
        undefined,
        'payment_method_unexpected_state',
      );
    }
    pm.customer = null;
    store.emit('payment_method.detached', pm);
    return pm;
  });
  routes.add('GET', '/v1/payment_methods/:id', ({ store, path }) => {
    const template = TEST_CARDS[path.id!];
    if (template) throw notFound('PaymentMethod', path.id!);
    return store.require('payment_method', path.id!);
  });
  const list = (
    customer: string | undefined,
    type: string | undefined,
    params: Record<string, unknown>,
    store: AccountStore,
    url: string,
  ) =>
    paginate(
      store
        .all('payment_method')
        .filter((pm) => (!customer || pm.customer === customer) && (!type || pm.type === type)),
      params,
      url,
    );
  routes.add('GET', '/v1/payment_methods', ({ store, params }) => {
    const customer = str(params, 'customer');
    if (customer) store.require('customer', customer, 'customer');
    return list(customer, str(params, 'type'), params, store, '/v1/payment_methods');
  });
  routes.add('GET', '/v1/customers/:id/payment_methods', ({ store, path, params }) => {
    store.require('customer', path.id!);
    return list(path.id, str(params, 'type'), params, store, `/v1/customers/${path.id}/payment_methods`);
  });
}
