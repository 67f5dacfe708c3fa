// Billing Meters, meter events (deduplicated by `identifier`) and event summaries; Customer Portal
// configurations.
import type { RouteTable } from '../app.js';
import { invalid } from '../errors.js';
import { bool, int, metadata, obj, str, type Params } from '../params.js';
import { paginate, type AccountStore, type StripeObject } from '../store.js';
import { listRoute, retrieveRoute } from './common.js';

/** How long an identifier is remembered (Stripe: "a rolling period of at least 24 hours"). */
const IDENTIFIER_WINDOW_S = 24 * 3600;

export function meterRoutes(routes: RouteTable): void {
  routes.add('POST', '/v1/billing/meters', ({ store, params }) => {
    const eventName = str(params, 'event_name', { required: true });
    if (store.all('billing.meter').some((m) => m.event_name === eventName && m.status === 'active'))
      throw invalid(`A meter with event_name ${eventName} already exists.`, 'event_name');
    const aggregation = obj(params, 'default_aggregation');
    const mapping = obj(params, 'customer_mapping');
    const value = obj(params, 'value_settings');
    const meter = store.create<StripeObject>('mtr', 'billing.meter', {
      customer_mapping: {
        event_payload_key: (mapping && str(mapping, 'event_payload_key')) ?? 'stripe_customer_id',
        type: 'by_id',
      },
      default_aggregation: {
        formula: (aggregation && str(aggregation, 'formula', { oneOf: ['sum', 'count', 'last'] })) ?? 'sum',
      },
      display_name: str(params, 'display_name', { required: true }),
      event_name: eventName,
      event_time_window: str(params, 'event_time_window', { oneOf: ['day', 'hour'] }) ?? null,
      status: 'active',
      status_transitions: { deactivated_at: null },
      updated: store.now(),
      value_settings: { event_payload_key: (value && str(value, 'event_payload_key')) ?? 'value' },
    });
    return meter;
  });
  retrieveRoute(routes, '/v1/billing/meters/:id', 'billing.meter');
  listRoute(routes, '/v1/billing/meters', 'billing.meter', ['status']);
  routes.add('POST', '/v1/billing/meters/:id/deactivate', ({ store, path }) => {
    const m = store.require('billing.meter', path.id!);
    m.status = 'inactive';
    (m.status_transitions as Record<string, unknown>).deactivated_at = store.now();
    return m;
  });

  routes.add('POST', '/v1/billing/meter_events', ({ store, params }) => {
    const eventName = str(params, 'event_name', { required: true });
    const meter = store.all('billing.meter').find((m) => m.event_name === eventName && m.status === 'active');
    if (!meter) throw invalid(`No active meter was found for event_name ${eventName}.`, 'event_name');
    const payload = obj(params, 'payload');
    if (!payload) throw invalid('Missing required param: payload.', 'payload', 'parameter_missing');
    const customerKey = (meter.customer_mapping as { event_payload_key: string }).event_payload_key;
    const valueKey = (meter.value_settings as { event_payload_key: string }).event_payload_key;
    const customer = str(payload, customerKey);
    if (!customer)
      throw invalid(`payload[${customerKey}] is required.`, `payload[${customerKey}]`, 'parameter_missing');
    store.require('customer', customer, `payload[${customerKey}]`);
    const raw = str(payload, valueKey) ?? '1';
    if (!/^\d+(\.\d+)?$/.test(raw))
      throw invalid(`payload[${valueKey}] must be a number.`, `payload[${valueKey}]`);
    const now = store.now();
    const identifier = str(params, 'identifier') ?? `${now}-${store.all('billing.meter_event').length + 1}`;
    const seen = store
      .all('billing.meter_event')
      .find((e) => e.identifier === identifier && now - (e.created as number) < IDENTIFIER_WINDOW_S);
    if (seen)
      throw invalid(
        `An event with identifier ${identifier} was already received; it is not counted twice.`,
        'identifier',
      );
    const timestamp = int(params, 'timestamp') ?? now;
    if (timestamp < now - 35 * 86400 || timestamp > now + 300)
      throw invalid(
        'timestamp must be within the past 35 days or up to 5 minutes in the future.',
        'timestamp',
      );
    const event: StripeObject = {
      id: identifier,
      object: 'billing.meter_event',
      created: now,
      event_name: eventName,
      identifier,
      livemode: false,
      payload: { ...payload, [valueKey]: raw },
      timestamp,
      meter: meter.id,
      customer,
      value: Number(raw),
    };
    // Kept under its own id space (identifiers are the caller's), listed per meter for summaries.
    store.insert({ ...event, id: `mevt_${identifier}` });
    const { meter: _m, customer: _c, value: _v, ...shown } = event;
    return shown;
  });

  routes.add('GET', '/v1/billing/meters/:id/event_summaries', ({ store, path, params }) => {
    const meter = store.require('billing.meter', path.id!);
    const customer = str(params, 'customer', { required: true });
    const start = int(params, 'start_time', { required: true });
    const end = int(params, 'end_time', { required: true });
    const aggregated = meterUsage(store, meter, customer, start, end);
    const summary: StripeObject = {
      id: `mtrusg_${meter.id.slice(4)}_${start}`,
      object: 'billing.meter_event_summary',
      aggregated_value: aggregated,
      end_time: end,
      livemode: false,
      meter: meter.id,
      start_time: start,
    };
    return paginate([summary], params, `/v1/billing/meters/${meter.id}/event_summaries`);
  });
}

/** A customer's usage on a meter in [start, end), aggregated by the meter's formula. */
export function meterUsage(
  store: AccountStore,
  meter: StripeObject,
  customer: string,
  start: number,
  end: number,
): number {
  const values = store
    .all('billing.meter_event')
    .filter((e) => e.meter === meter.id && e.customer === customer)
    .filter((e) => (e.timestamp as number) >= start && (e.timestamp as number) < end)
    .map((e) => e.value as number);
  const formula = (meter.default_aggregation as { formula: string }).formula;
  if (formula === 'count') return values.length;
  if (formula === 'last') return values.at(-1) ?? 0;
  return values.reduce((a, b) => a + b, 0);
}

function portalFeatures(params: Params, current?: Record<string, unknown>): Record<string, unknown> {
  const f = obj(params, 'features') ?? {};
  const base = (current ?? {}) as Record<string, Record<string, unknown>>;
  const section = (name: string, defaults: Record<string, unknown>) => {
    const given = obj(f, name);
    return {
      ...defaults,
      ...(base[name] ?? {}),
      ...(given ?? {}),
      enabled: given ? (bool(given, 'enabled') ?? true) : (base[name]?.enabled ?? false),
    };
  };
  return {
    customer_update: section('customer_update', { allowed_updates: [] }),
    invoice_history: section('invoice_history', {}),
    payment_method_update: section('payment_method_update', {}),
    subscription_cancel: section('subscription_cancel', {
      cancellation_reason: { enabled: false, options: [] },
      mode: 'at_period_end',
      proration_behavior: 'none',
    }),
    subscription_update: section('subscription_update', {
      default_allowed_updates: [],
      proration_behavior: 'create_prorations',
      products: [],
    }),
  };
}

export function portalConfigurationRoutes(routes: RouteTable): void {
  routes.add('POST', '/v1/billing_portal/configurations', ({ store, params }) => {
    if (!obj(params, 'features'))
      throw invalid('Missing required param: features.', 'features', 'parameter_missing');
    return store.create<StripeObject>('bpc', 'billing_portal.configuration', {
      active: true,
      application: null,
      business_profile: obj(params, 'business_profile') ?? {
        headline: null,
        privacy_policy_url: null,
        terms_of_service_url: null,
      },
      default_return_url: str(params, 'default_return_url') ?? null,
      features: portalFeatures(params),
      is_default: store.all('billing_portal.configuration').length === 0,
      login_page: { enabled: false, url: null },
      metadata: metadata(params),
      updated: store.now(),
    });
  });
  retrieveRoute(routes, '/v1/billing_portal/configurations/:id', 'billing_portal.configuration');
  listRoute(routes, '/v1/billing_portal/configurations', 'billing_portal.configuration', [], (c, params) => {
    const active = bool(params, 'active');
    return active === undefined || c.active === active;
  });
  routes.add('POST', '/v1/billing_portal/configurations/:id', ({ store, path, params }) => {
    const c = store.require('billing_portal.configuration', path.id!);
    if ('features' in params) c.features = portalFeatures(params, c.features as Record<string, unknown>);
    if ('business_profile' in params)
      c.business_profile = { ...(c.business_profile as object), ...obj(params, 'business_profile') };
    if ('default_return_url' in params) c.default_return_url = str(params, 'default_return_url') ?? null;
    const active = bool(params, 'active');
    if (active !== undefined) c.active = active;
    if ('metadata' in params) c.metadata = metadata(params, c.metadata as Record<string, string>);
    c.updated = store.now();
    return c;
  });
}
