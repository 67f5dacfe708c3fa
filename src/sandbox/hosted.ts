// Stripe's hosted pages, as far as tests and the offline demo need them (the Portal is in portal.ts): a Checkout page at the session's
// `url` that a person (or a test) completes with a test card that succeeds, is declined, or needs 3-D
// Secure. Completing it does what Stripe does: a customer (if the session had none), the card attached,
// the subscription (with the session's trial and metadata) or the payment, `checkout.session.completed`,
// and a redirect to `success_url`.
import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import { formatMoney } from '../money/currencies.js';
import type { SandboxState } from './app.js';
import { SandboxError } from './errors.js';
import { createCustomer } from './resources/customers.js';
import { completeAuthentication, createPaymentIntent } from './resources/payment-intents.js';
import { attachPaymentMethod } from './resources/payment-methods.js';
import { createSubscription } from './resources/subscriptions.js';
import { inCustomerTime } from './resources/test-clocks.js';
import type { AccountStore, StripeObject } from './store.js';

/** The cards the page offers, as Stripe's test payment methods. */
export const CARDS = {
  visa: { pm: 'pm_card_visa', label: 'Visa 4242 4242 4242 4242 (succeeds)' },
  declined: { pm: 'pm_card_chargeDeclined', label: 'Visa 4000 0000 0000 0002 (declined)' },
  'declines-later': {
    pm: 'pm_card_chargeCustomerFail',
    label: 'Visa 4000 0000 0000 0341 (saved, then every charge is declined)',
  },
  threeds: { pm: 'pm_card_visa', label: 'Visa 4000 0025 0000 3155 (needs 3-D Secure)' },
} as const;
export type Card = keyof typeof CARDS;

export const checkoutPath = (id: string) => `/checkout/pay/${id}`;

export function mountHostedPages(app: Hono, state: SandboxState): void {
  const noCheckout = (c: Context) =>
    page(c, 404, 'No such checkout', html`<p>This checkout link is not valid.</p>`);
  const noPayment = (c: Context) =>
    page(c, 404, 'No such payment', html`<p>This authentication link is not valid.</p>`);
  const find = (id: string) => {
    const at = state.locate(id, 'checkout.session');
    return at && { store: at.store, session: at.found };
  };

  app.get('/checkout/pay/:id', (c) => {
    const found = find(c.req.param('id'));
    if (!found) return noCheckout(c);
    return checkoutPage(c, found.store, found.session);
  });

  app.post('/checkout/pay/:id', async (c) => {
    const found = find(c.req.param('id'));
    if (!found) return noCheckout(c);
    const { store, session } = found;
    if (session.status !== 'open')
      return page(c, 409, 'Already done', html`<p>This checkout is ${String(session.status)}.</p>`);
    const form = await c.req.parseBody();
    const card = (typeof form.card === 'string' && form.card in CARDS ? form.card : 'visa') as Card;
    if (card === 'threeds' && form.step !== 'authenticated') {
      if (form.step === 'failed')
        return checkoutPage(
          c,
          store,
          session,
          'The card was not authenticated. Try again or use another card.',
        );
      return page(
        c,
        200,
        '3-D Secure',
        html`<p>Your bank asks you to confirm this payment.</p>
          <form method="post">
            <input type="hidden" name="card" value="threeds" />
            <button name="step" value="authenticated">Complete authentication</button>
            <button name="step" value="failed">Fail authentication</button>
          </form>`,
      );
    }
    const email = typeof form.email === 'string' && form.email.includes('@') ? form.email : undefined;
    try {
      inCustomerTime(store, session.customer as string | null, () =>
        complete(store, session, CARDS[card].pm, email),
      );
    } catch (err) {
      if (err instanceof SandboxError) return checkoutPage(c, store, session, err.message);
      throw err;
    }
    const success = text(session.success_url);
    if (!success) return page(c, 200, 'Paid', html`<p>Payment complete.</p>`);
    return c.redirect(success.replace('{CHECKOUT_SESSION_ID}', session.id), 303);
  });

  // The bank's 3-D Secure challenge for a payment intent confirmed with a return_url (the URL in its
  // next_action.redirect_to_url): the customer completes or fails it, and goes back to return_url
  // with the query Stripe adds.
  const intent = (id: string) => {
    const at = state.locate(id, 'payment_intent');
    return at && { store: at.store, pi: at.found };
  };
  app.get('/3ds/authenticate/:id', (c) => {
    const found = intent(c.req.param('id'));
    if (!found) return noPayment(c);
    if (found.pi.status !== 'requires_action')
      return page(c, 409, 'Already done', html`<p>This payment is ${String(found.pi.status)}.</p>`);
    const amount = formatMoney(found.pi.amount as number, found.pi.currency as string);
    return page(
      c,
      200,
      '3-D Secure (sandbox)',
      html`<p>Your bank asks you to confirm a payment of <strong>${amount}</strong>.</p>
        <form method="post">
          <button name="result" value="complete">Complete authentication</button>
          <button name="result" value="fail">Fail authentication</button>
        </form>`,
    );
  });
  app.post('/3ds/authenticate/:id', async (c) => {
    const found = intent(c.req.param('id'));
    if (!found) return noPayment(c);
    const { store, pi } = found;
    const next = pi.next_action as { redirect_to_url?: { return_url: string } } | null;
    if (pi.status !== 'requires_action' || !next?.redirect_to_url)
      return page(c, 409, 'Already done', html`<p>This payment is ${String(pi.status)}.</p>`);
    const back = next.redirect_to_url.return_url;
    const form = await c.req.parseBody();
    try {
      inCustomerTime(store, pi.customer as string | null, () =>
        completeAuthentication(store, pi, form.result === 'complete'),
      );
    } catch (err) {
      // A card that authenticates and is then declined: the intent says so, as with Stripe.
      if (!(err instanceof SandboxError)) throw err;
    }
    const url = new URL(back);
    url.searchParams.set('payment_intent', pi.id);
    url.searchParams.set('payment_intent_client_secret', String(pi.client_secret));
    const after = pi.status as string; // changed by completeAuthentication
    url.searchParams.set('redirect_status', after === 'requires_payment_method' ? 'failed' : 'succeeded');
    return c.redirect(url.href, 303);
  });
}

/** What Stripe does when the page's form is paid: objects in order, then the session completed. */
function complete(store: AccountStore, session: StripeObject, pm: string, email: string | undefined): void {
  const customer =
    (session.customer as string | null) ??
    createCustomer(store, {
      email: email ?? session.customer_email ?? 'buyer@example.com',
    }).id;
  const method = attachPaymentMethod(store, pm, customer);
  const items = (store.lineItems.get(session.id) ?? []) as { price: StripeObject; quantity: number }[];
  if (session.mode === 'subscription') {
    const data = (session.subscription_data ?? {}) as {
      trial_period_days?: string | number;
      metadata?: Record<string, string>;
    };
    const sub = createSubscription(store, {
      customer,
      items: items.map((i) =>
        (i.price.recurring as { usage_type?: string } | null)?.usage_type === 'metered'
          ? { price: i.price.id }
          : { price: i.price.id, quantity: String(i.quantity ?? 1) },
      ),
      default_payment_method: method.id,
      payment_behavior: 'error_if_incomplete',
      ...(data.trial_period_days ? { trial_period_days: String(data.trial_period_days) } : {}),
      metadata: data.metadata ?? {},
    });
    session.subscription = sub.id;
    session.invoice = sub.latest_invoice;
    session.payment_status = sub.status === 'trialing' ? 'no_payment_required' : 'paid';
  } else if (session.mode === 'payment') {
    const pi = createPaymentIntent(store, {
      amount: String(session.amount_total),
      currency: session.currency,
      customer,
      payment_method: method.id,
      confirm: 'true',
    });
    if (pi.status !== 'succeeded')
      throw new SandboxError(402, 'card_error', 'Your card was declined.', { code: 'card_declined' });
    session.payment_intent = pi.id;
    session.payment_status = 'paid';
  }
  session.customer = customer;
  session.customer_details = { email: email ?? session.customer_email ?? null };
  session.status = 'complete';
  store.emit('checkout.session.completed', session);
}

function checkoutPage(c: Context, store: AccountStore, session: StripeObject, error?: string) {
  const items = (store.lineItems.get(session.id) ?? []) as {
    price: StripeObject;
    quantity: number;
    amount_total: number;
  }[];
  const trial = (session.subscription_data as { trial_period_days?: string } | null)?.trial_period_days;
  const total = (Number(session.amount_total) / 100).toFixed(2);
  return page(
    c,
    error ? 402 : 200,
    'Checkout (sandbox)',
    html`<p>
        Pay <strong>${total} ${text(session.currency).toUpperCase()}</strong>${
          session.mode === 'subscription'
            ? html` per
              ${String((items[0]?.price.recurring as { interval?: string } | null)?.interval ?? 'period')}`
            : ''
        }${trial ? html`, after a ${trial}-day free trial` : ''}.
      </p>
      <ul>
        ${items.map((i) => html`<li>${text(i.price.nickname) || i.price.id} &times; ${i.quantity ?? 1}</li>`)}
      </ul>
      ${error ? html`<p role="alert" class="error">${error}</p>` : ''}
      <form method="post">
        <label>Email <input name="email" type="email" value="${text(session.customer_email)}" /></label>
        ${Object.entries(CARDS).map(
          ([value, card], i) =>
            html`<label
              ><input type="radio" name="card" value="${value}" ${i === 0 ? 'checked' : ''} />
              ${card.label}</label
            >`,
        )}
        <button type="submit">Pay</button>
      </form>
      ${session.cancel_url ? html`<p><a href="${text(session.cancel_url)}">Cancel</a></p>` : ''}`,
  );
}

export const text = (v: unknown): string => (typeof v === 'string' ? v : '');

export function page(c: Context, status: 200 | 400 | 402 | 404 | 409, title: string, body: unknown) {
  return c.html(
    html`<!doctype html>
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <title>${title}</title>
        </head>
        <body>
          <h1>${title}</h1>
          ${body}
        </body>
      </html>`,
    status,
  );
}
