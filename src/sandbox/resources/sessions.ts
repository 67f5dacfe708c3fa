import type { RouteTable } from '../app.js';
import { invalid } from '../errors.js';
import { checkoutPath } from '../hosted.js';
import { arr, int, metadata, obj, str, type Params } from '../params.js';
import { portalPath } from '../portal.js';
import { paginate, type AccountStore, type StripeObject } from '../store.js';
import { lineItemObjects, lineItems } from './catalog.js';
import { listRoute, retrieveRoute } from './common.js';

export function sessionRoutes(routes: RouteTable): void {
  routes.add('POST', '/v1/checkout/sessions', ({ store, params, sandbox }) => {
    const mode = str(params, 'mode', { required: true, oneOf: ['payment', 'setup', 'subscription'] });
    const items = lineItems(store, params, mode !== 'setup');
    if (mode === 'subscription' && !items.some((i) => i.price.type === 'recurring')) {
      throw invalid(
        'You must provide at least one recurring price in `subscription` mode when using prices.',
        'line_items',
      );
    }
    if (mode === 'payment' && items.some((i) => i.price.type === 'recurring')) {
      throw invalid(
        'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.',
        'line_items',
      );
    }
    const customer = str(params, 'customer');
    if (customer) store.require('customer', customer, 'customer');
    const customerEmail = str(params, 'customer_email');
    if (customer && customerEmail)
      throw invalid(
        'You may only specify one of these parameters: customer, customer_email.',
        'customer_email',
      );
    const clientRef = str(params, 'client_reference_id');
    if (clientRef && clientRef.length > 200)
      throw invalid('client_reference_id can be at most 200 characters.', 'client_reference_id');
    const currencies = new Set(items.map((i) => i.price.currency));
    if (currencies.size > 1)
      throw invalid('All prices in a Checkout Session must have the same currency.', 'line_items');
    const subtotal = items.reduce((s, i) => s + (i.price.unit_amount as number) * i.quantity, 0);
    const coupon = str((arr(params, 'discounts')?.[0] ?? {}) as Record<string, unknown>, 'coupon');
    if (coupon) store.require('coupon', coupon, 'discounts[0][coupon]');
    const now = store.now();
    const session = store.create<StripeObject>('cs_test', 'checkout.session', {
      allow_promotion_codes: null,
      automatic_tax: { enabled: false, liability: null, status: null },
      custom_fields: [],
      custom_text: {
        after_submit: null,
        shipping_address: null,
        submit: null,
        terms_of_service_acceptance: null,
      },
      shipping_options: [],
      amount_subtotal: subtotal,
      amount_total: subtotal,
      cancel_url: str(params, 'cancel_url') ?? null,
      client_reference_id: clientRef ?? null,
      currency: items[0]?.price.currency ?? str(params, 'currency') ?? null,
      customer: customer ?? null,
      customer_creation: customer ? null : 'if_required',
      customer_details: customerEmail ? { email: customerEmail } : null,
      customer_email: customerEmail ?? null,
      expires_at: int(params, 'expires_at', { min: now + 1800, max: now + 86400 }) ?? now + 86400,
      invoice: null,
      metadata: metadata(params),
      mode,
      payment_intent: null,
      payment_link: null,
      payment_method_types: arr(params, 'payment_method_types')?.map(String) ?? ['card'],
      payment_status: mode === 'setup' ? 'no_payment_required' : 'unpaid',
      setup_intent: null,
      status: 'open',
      submit_type: null,
      subscription: null,
      subscription_data: obj(params, 'subscription_data') ?? null,
      success_url: str(params, 'success_url') ?? null,
      ui_mode: 'hosted',
      url: '',
    });
    // The sandbox's own hosted page when it knows where it listens (a person or a test can pay there).
    session.url = sandbox.origin
      ? `${sandbox.origin}${checkoutPath(session.id)}`
      : `https://checkout.stripe.com/c/pay/${session.id}`;
    store.lineItems.set(session.id, lineItemObjects(items));
    return session;
  });
  retrieveRoute(routes, '/v1/checkout/sessions/:id', 'checkout.session');
  listRoute(routes, '/v1/checkout/sessions', 'checkout.session', [
    'customer',
    'payment_intent',
    'subscription',
    'status',
  ]);
  routes.add('GET', '/v1/checkout/sessions/:id/line_items', ({ store, path, params }) => {
    store.require('checkout.session', path.id!);
    return paginate(
      [...(store.lineItems.get(path.id!) ?? [])].reverse() as StripeObject[],
      params,
      `/v1/checkout/sessions/${path.id}/line_items`,
    );
  });
  routes.add('POST', '/v1/checkout/sessions/:id/expire', ({ store, path }) => {
    const s = store.require('checkout.session', path.id!);
    if (s.status !== 'open')
      throw invalid(
        `Only open Checkout Sessions can be expired; this one is ${String(s.status)}.`,
        undefined,
        'checkout_session_unexpected_state',
      );
    s.status = 'expired';
    store.emit('checkout.session.expired', s);
    return s;
  });

  routes.add('POST', '/v1/billing_portal/sessions', ({ store, params, sandbox }) => {
    const customer = store.require('customer', str(params, 'customer', { required: true }), 'customer');
    const returnUrl = str(params, 'return_url');
    if (returnUrl && !/^https?:\/\//.test(returnUrl))
      throw invalid('Not a valid URL', 'return_url', 'url_invalid');
    const configId = str(params, 'configuration');
    const configuration = configId
      ? store.require('billing_portal.configuration', configId, 'configuration')
      : store.all('billing_portal.configuration').find((c) => c.is_default === true && c.active === true);
    const session = store.create<StripeObject>('bps', 'billing_portal.session', {
      configuration: configuration?.id ?? 'bpc_sandbox_default',
      customer: customer.id,
      flow: portalFlow(store, customer.id, obj(params, 'flow_data')),
      locale: str(params, 'locale') ?? null,
      on_behalf_of: null,
      return_url: returnUrl ?? null,
      url: '',
    });
    // The sandbox's own portal page when it knows where it listens.
    session.url = sandbox.origin
      ? `${sandbox.origin}${portalPath(session.id)}`
      : `https://billing.stripe.com/p/session/test_${session.id.slice(4)}`;
    return session;
  });
}

/** `flow_data`, checked as Stripe checks it: the deep link the portal opens on. */
function portalFlow(store: AccountStore, customer: string, flow: Params | undefined): Params | null {
  if (!flow) return null;
  const type = str(flow, 'type', {
    required: true,
    oneOf: [
      'payment_method_update',
      'subscription_cancel',
      'subscription_update',
      'subscription_update_confirm',
    ],
  });
  const key = type === 'payment_method_update' ? undefined : type;
  const detail = key ? obj(flow, key) : undefined;
  if (key) {
    const subId = detail && str(detail, 'subscription');
    if (!subId)
      throw invalid(
        `Missing required param: flow_data[${key}][subscription].`,
        `flow_data[${key}][subscription]`,
        'parameter_missing',
      );
    const sub = store.require('subscription', subId, `flow_data[${key}][subscription]`);
    if (sub.customer !== customer)
      throw invalid(
        `The subscription ${subId} does not belong to customer ${customer}.`,
        `flow_data[${key}][subscription]`,
      );
    if (type === 'subscription_update_confirm') {
      const items = arr(detail, 'items');
      if (!items?.length)
        throw invalid(
          'Missing required param: flow_data[subscription_update_confirm][items].',
          'flow_data[subscription_update_confirm][items]',
          'parameter_missing',
        );
      items.forEach((raw, i) => {
        const price = str(raw as Params, 'price');
        if (price)
          store.require('price', price, `flow_data[subscription_update_confirm][items][${i}][price]`);
      });
    }
  }
  return {
    after_completion: obj(flow, 'after_completion') ?? {
      hosted_confirmation: null,
      redirect: null,
      type: 'portal_homepage',
    },
    type,
    ...(key ? { [key]: detail } : {}),
  };
}
