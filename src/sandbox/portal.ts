// The Customer Portal, at a portal session's `url`, as far as its configuration allows: switch between
// the configured prices, cancel at period end (or renew again), update the card (which retries a past-due
// invoice at once, as Stripe's portal does), and the invoice history. A `subscription_update_confirm`
// deep link opens on the confirm-the-switch page. Changes go through the same code as the API, at the
// customer's test-clock time, and send the same webhooks.
import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import type Stripe from 'stripe';
import { isoDay } from '../util/dates.js';
import { idOf } from '../util/ids.js';
import type { SandboxState } from './app.js';
import { SandboxError } from './errors.js';
import { CARDS, page, text, type Card } from './hosted.js';
import { attachPaymentMethod, cardOf } from './resources/payment-methods.js';
import { collect, endSubscription, openInvoice } from './resources/subscription-cycle.js';
import { changeSubscription } from './resources/subscriptions.js';
import { inCustomerTime } from './resources/test-clocks.js';
import type { AccountStore, StripeObject, Stored } from './store.js';

export const portalPath = (id: string) => `/p/session/${id}`;

interface Features {
  subscription_update: { enabled: boolean; products: { product: string; prices: string[] }[] };
  subscription_cancel: { enabled: boolean; mode: 'at_period_end' | 'immediately' };
  payment_method_update: { enabled: boolean };
  invoice_history: { enabled: boolean };
}
interface Flow {
  type: string;
  subscription_update_confirm?: { subscription: string; items: { id?: string; price?: string }[] };
  after_completion?: { redirect?: { return_url?: string } | null };
}

/** Without a configuration (none was created), everything is on and any active recurring price is offered. */
function featuresOf(store: AccountStore, session: StripeObject): Features {
  const config = store.get(String(session.configuration));
  if (config) return config.features as Features;
  const prices = store.all('price').filter((p) => p.active && p.type === 'recurring');
  return {
    subscription_update: {
      enabled: true,
      products: [...new Set(prices.map((p) => idOf(p.product)))].map((product) => ({
        product,
        prices: prices.filter((p) => idOf(p.product) === product).map((p) => p.id),
      })),
    },
    subscription_cancel: { enabled: true, mode: 'at_period_end' },
    payment_method_update: { enabled: true },
    invoice_history: { enabled: true },
  };
}

export function mountPortal(app: Hono, state: SandboxState): void {
  const find = (id: string) => {
    const at = state.locate(id, 'billing_portal.session');
    return at && { store: at.store, session: at.found };
  };
  const missing = (c: Context) =>
    page(c, 404, 'No such portal session', html`<p>This portal link is not valid.</p>`);

  app.get('/p/session/:id', (c) => {
    const found = find(c.req.param('id'));
    if (!found) return missing(c);
    return portalPage(c, found.store, found.session, c.req.query('done'));
  });

  app.post('/p/session/:id', async (c) => {
    const found = find(c.req.param('id'));
    if (!found) return missing(c);
    const { store, session } = found;
    const form = await c.req.parseBody();
    const field = (name: string) => (typeof form[name] === 'string' ? form[name] : '');
    let done: string;
    try {
      done = inCustomerTime(store, String(session.customer), () =>
        act(store, session, field('action'), field('subscription'), field('price'), field('card')),
      );
    } catch (err) {
      if (err instanceof SandboxError) return portalPage(c, store, session, undefined, err.message);
      throw err;
    }
    const flow = session.flow as Flow | null;
    const after = flow?.after_completion?.redirect?.return_url;
    if (field('action') === 'confirm' && (after ?? session.return_url))
      return c.redirect(String(after ?? session.return_url), 303);
    return c.redirect(`${portalPath(session.id)}?done=${encodeURIComponent(done)}`, 303);
  });
}

/** One change the person asked for; what to tell them. */
function act(
  store: AccountStore,
  session: StripeObject,
  action: string,
  subId: string,
  priceId: string,
  card: string,
): string {
  const features = featuresOf(store, session);
  const customer = store.require('customer', String(session.customer));
  const own = (id: string) => {
    const sub = store.find('subscription', id);
    if (!sub || sub.customer !== customer.id) throw refused('That subscription is not yours.');
    return sub;
  };
  switch (action) {
    case 'switch':
    case 'confirm': {
      const flow = session.flow as Flow | null;
      const confirm = action === 'confirm' ? flow?.subscription_update_confirm : undefined;
      if (action === 'confirm' && !confirm) throw refused('There is nothing to confirm.');
      const sub = own(confirm?.subscription ?? subId);
      const price = confirm?.items[0]?.price ?? priceId;
      const offered = features.subscription_update.products.some((p) => p.prices.includes(price));
      if (!confirm && (!features.subscription_update.enabled || !offered))
        throw refused('This plan cannot be chosen here.');
      const item = sub.items.data.find((i) => i.id === confirm?.items[0]?.id) ?? sub.items.data[0]!;
      changeSubscription(store, sub, { items: [{ id: item.id, price }] });
      return `Your plan is now ${planName(store, store.require('price', price))}.`;
    }
    case 'cancel': {
      if (!features.subscription_cancel.enabled) throw refused('Cancelling is not offered here.');
      const sub = own(subId);
      if (features.subscription_cancel.mode === 'immediately') {
        endSubscription(store, sub, 'cancellation_requested');
        return 'Your plan is canceled.';
      }
      changeSubscription(store, sub, { cancel_at_period_end: 'true' });
      return `Your plan ends on ${day(sub.cancel_at)}.`;
    }
    case 'renew':
      changeSubscription(store, own(subId), { cancel_at_period_end: 'false' });
      return 'Your plan renews again.';
    case 'card': {
      if (!features.payment_method_update.enabled) throw refused('Updating the card is not offered here.');
      const pm = attachPaymentMethod(store, CARDS[(card in CARDS ? card : 'visa') as Card].pm, customer.id);
      const previous = { invoice_settings: structuredClone(customer.invoice_settings) };
      customer.invoice_settings = { ...customer.invoice_settings, default_payment_method: pm.id };
      store.emit('customer.updated', customer, previous);
      // The new card pays for every live subscription, and at once for what is past due.
      for (const sub of liveSubscriptions(store, customer.id)) {
        if (sub.default_payment_method) changeSubscription(store, sub, { default_payment_method: pm.id });
        const open = sub.status === 'past_due' ? openInvoice(store, sub) : undefined;
        if (open && !collect(store, sub, open))
          throw refused('The new card was declined. Your plan stays past due: try another card.');
      }
      return `Your card is now ${cardLabel(store, pm.id)}.`;
    }
    default:
      throw refused('Choose what to change.');
  }
}

const refused = (message: string) => new SandboxError(400, 'invalid_request_error', message);

function liveSubscriptions(store: AccountStore, customer: string): Stored<'subscription'>[] {
  return store
    .all('subscription')
    .filter((s) => s.customer === customer && s.status !== 'canceled' && s.status !== 'incomplete_expired');
}

function planName(store: AccountStore, price: Stripe.Price): string {
  const product = store.find('product', idOf(price.product));
  const amount = price.unit_amount === null ? '' : ` (${money(price.unit_amount, price.currency)}`;
  return `${product?.name ?? price.nickname ?? price.id}${amount ? `${amount} per ${price.recurring?.interval ?? 'period'})` : ''}`;
}

const money = (amount: number, currency: string) => `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`;
const day = (t: number | null | undefined) => (t ? isoDay(t) : '—');

function cardLabel(store: AccountStore, pm: string | null): string {
  if (!pm) return 'none';
  const card = cardOf(store, pm);
  return `${card.brand === 'visa' ? 'Visa' : card.brand} •••• ${card.last4}`;
}

function statusLine(sub: Stored<'subscription'>): string {
  const end = sub.items.data[0]!.current_period_end;
  if (sub.status === 'trialing') return `Trial ends on ${day(sub.trial_end)}.`;
  if (sub.status === 'past_due') return 'Past due: the last payment failed. Update your card to pay it.';
  if (sub.cancel_at) return `Cancels on ${day(sub.cancel_at)}.`;
  return `Renews on ${day(end)}.`;
}

function portalPage(c: Context, store: AccountStore, session: StripeObject, done?: string, error?: string) {
  const features = featuresOf(store, session);
  const customer = store.require('customer', String(session.customer));
  const flow = session.flow as Flow | null;
  const subs = liveSubscriptions(store, customer.id);
  const back = session.return_url ? html`<p><a href="${text(session.return_url)}">Return</a></p>` : '';
  const notice = html`${done ? html`<p role="status">${done}</p>` : ''}${
    error ? html`<p role="alert" class="error">${error}</p>` : ''
  }`;
  const confirm = flow?.subscription_update_confirm;
  if (confirm && !done) {
    const sub = store.find('subscription', confirm.subscription);
    const price = store.find('price', confirm.items[0]?.price);
    const current = sub?.items.data[0]?.price;
    return page(
      c,
      error ? 400 : 200,
      'Confirm your new plan',
      html`${notice}
        <p>From <strong>${current ? planName(store, current) : '—'}</strong></p>
        <p>To <strong>${price ? planName(store, price) : '—'}</strong></p>
        <form method="post"><button name="action" value="confirm">Confirm</button></form>
        ${back}`,
    );
  }
  const offered = features.subscription_update.enabled
    ? features.subscription_update.products.flatMap((p) => p.prices)
    : [];
  const invoices = store
    .all('invoice')
    .filter((i) => i.customer === customer.id && i.status !== 'draft')
    .reverse();
  const dpm = customer.invoice_settings?.default_payment_method;
  return page(
    c,
    error ? 400 : 200,
    'Customer portal (sandbox)',
    html`${notice} ${subs.length === 0 ? html`<p>No current plan.</p>` : ''}
      ${subs.map((sub) => {
        const current = sub.items.data[0]!.price;
        const hidden = html`<input type="hidden" name="subscription" value="${sub.id}" />`;
        return html`<section data-subscription="${sub.id}">
          <h2>${planName(store, current)}</h2>
          <p>${statusLine(sub)}</p>
          ${offered
            .filter((p) => p !== current.id)
            .map((id) => store.find('price', id))
            .filter((p) => p !== undefined)
            .map(
              (p) =>
                html`<form method="post">
                  ${hidden}<input type="hidden" name="price" value="${p.id}" />
                  <button name="action" value="switch">Switch to ${planName(store, p)}</button>
                </form>`,
            )}
          ${
            features.subscription_cancel.enabled
              ? html`<form method="post">
                  ${hidden}${
                    sub.cancel_at_period_end
                      ? html`<button name="action" value="renew">Renew plan</button>`
                      : html`<button name="action" value="cancel">Cancel plan</button>`
                  }
                </form>`
              : ''
          }
        </section>`;
      })}
      <section>
        <h2>Payment method</h2>
        <p>${cardLabel(store, dpm ? idOf(dpm) : null)}</p>
        ${
          features.payment_method_update.enabled
            ? html`<form method="post">
                ${Object.entries(CARDS)
                  .filter(([key]) => key !== 'threeds')
                  .map(
                    ([value, card], i) =>
                      html`<label
                        ><input type="radio" name="card" value="${value}" ${i === 0 ? 'checked' : ''} />
                        ${card.label}</label
                      >`,
                  )}
                <button name="action" value="card">Update card</button>
              </form>`
            : ''
        }
      </section>
      ${
        features.invoice_history.enabled
          ? html`<section>
              <h2>Invoice history</h2>
              <table>
                ${invoices.map(
                  (i) =>
                    html`<tr>
                      <td>${i.number ?? i.id}</td>
                      <td>${day(i.created)}</td>
                      <td>${money(i.total, i.currency)}</td>
                      <td>${i.status ?? ''}</td>
                    </tr>`,
                )}
              </table>
            </section>`
          : ''
      }
      ${back}`,
  );
}
