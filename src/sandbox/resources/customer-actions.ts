import type { RouteTable } from '../app.js';
import { invalid } from '../errors.js';
import { str, type Params } from '../params.js';
import type { AccountStore, StripeObject, Stored } from '../store.js';
import { payInvoice } from './billing-engine.js';
import { createCustomer } from './customers.js';
import { confirm, createPaymentIntent } from './payment-intents.js';
import { attachPaymentMethod, resolvePaymentMethod } from './payment-methods.js';
import { endSubscription, renew } from './subscription-cycle.js';
import { createSubscription } from './subscriptions.js';

/**
 * Sandbox-only: tests and demos play the customer. Stripe has no such endpoints (a person pays on
 * a hosted page); these produce the same objects and events that paying there would.
 */
export function customerActionRoutes(routes: RouteTable): void {
  // The customer pays on the Checkout page.
  routes.add('POST', '/_sandbox/checkout/sessions/:id/complete', ({ store, path, params }) => {
    const session = store.require('checkout.session', path.id!);
    if (session.status !== 'open')
      throw invalid(
        `This Checkout Session is ${String(session.status)}, not open.`,
        undefined,
        'checkout_session_unexpected_state',
      );
    const pmName = str(params, 'payment_method') ?? 'pm_card_visa';
    const customer = session.customer
      ? store.require('customer', session.customer as string)
      : createCustomer(store, {
          email: session.customer_email ?? 'checkout.customer@example.com',
        });
    const lines = store.lineItems.get(session.id) ?? [];
    if (session.mode === 'payment') {
      const pi = createPaymentIntent(
        store,
        {
          amount: String(session.amount_total),
          currency: session.currency,
          customer: customer.id,
          payment_method: pmName,
          metadata: session.metadata,
        },
        true,
      );
      confirm(store, pi, {});
      session.payment_intent = pi.id;
      session.payment_status = 'paid';
    } else if (session.mode === 'subscription') {
      const pm = attachPaymentMethod(store, pmName, customer.id);
      (customer.invoice_settings as Record<string, unknown>).default_payment_method = pm.id;
      const trial = (session.subscription_data as { trial_period_days?: string } | null)?.trial_period_days;
      const sub = createSubscription(store, {
        customer: customer.id,
        items: lines.map((l) => ({ price: (l.price as StripeObject).id, quantity: String(l.quantity) })),
        payment_behavior: 'error_if_incomplete',
        ...(trial ? { trial_period_days: trial } : {}),
      });
      session.subscription = sub.id;
      session.invoice = sub.latest_invoice;
      session.payment_status = trial ? 'no_payment_required' : 'paid';
    } else {
      session.payment_status = 'no_payment_required';
    }
    session.customer = customer.id;
    session.customer_details = { email: customer.email, name: customer.name };
    session.status = 'complete';
    store.emit('checkout.session.completed', session);
    return session;
  });

  // The customer pays an open invoice (hosted invoice page).
  routes.add('POST', '/_sandbox/invoices/:id/pay', ({ store, path, params }) =>
    payInvoice(store, store.require('invoice', path.id!), { off_session: 'false', ...params }),
  );

  // Time passes: the subscription renews, charging its payment method (or failing with fail=true).
  routes.add('POST', '/_sandbox/subscriptions/:id/renew', ({ store, path, params }) =>
    renewNow(store, store.require('subscription', path.id!), params),
  );
}

/** Time passes for one subscription, now: what its period's end does (see subscription-cycle.ts). */
function renewNow(store: AccountStore, sub: Stored<'subscription'>, params: Params): Stored<'subscription'> {
  if (['canceled', 'incomplete_expired'].includes(sub.status)) {
    throw invalid(
      `The subscription is ${sub.status}; it does not renew.`,
      undefined,
      'subscription_canceled',
    );
  }
  if (sub.cancel_at_period_end) endSubscription(store, sub, 'cancellation_requested');
  else
    renew(
      store,
      sub,
      str(params, 'fail') === 'true' ? resolvePaymentMethod(store, 'pm_card_chargeDeclined').id : undefined,
    );
  return sub;
}
