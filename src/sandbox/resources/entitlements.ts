// Entitlements: features, the features a product grants, and a customer's active entitlements (the
// features of the products on their active and trialing subscriptions). When a subscription change
// changes that set, the sandbox sends `entitlements.active_entitlement_summary.updated`, as Stripe does.
import { idOf } from '../../util/ids.js';
import type { RouteTable } from '../app.js';
import { invalid } from '../errors.js';
import { bool, metadata, str } from '../params.js';
import { paginate, type AccountStore, type StripeObject } from '../store.js';
import { listRoute, retrieveRoute } from './common.js';

const FEATURE = 'entitlements.feature';
const PRODUCT_FEATURE = 'product_feature';
const ENTITLING = new Set(['active', 'trialing', 'past_due']);

export function entitlementRoutes(routes: RouteTable): void {
  routes.add('POST', '/v1/entitlements/features', ({ store, params }) => {
    const lookupKey = str(params, 'lookup_key', { required: true });
    if (store.all(FEATURE).some((f) => f.lookup_key === lookupKey))
      throw invalid(`A feature with lookup_key ${lookupKey} already exists.`, 'lookup_key');
    return store.create<StripeObject>('feat', FEATURE, {
      active: true,
      lookup_key: lookupKey,
      metadata: metadata(params),
      name: str(params, 'name', { required: true }),
    });
  });
  retrieveRoute(routes, '/v1/entitlements/features/:id', FEATURE);
  listRoute(routes, '/v1/entitlements/features', FEATURE, ['lookup_key'], (f, params) => {
    const archived = bool(params, 'archived');
    return archived === undefined || f.active === !archived;
  });
  routes.add('POST', '/v1/entitlements/features/:id', ({ store, path, params }) => {
    const f = store.require(FEATURE, path.id!);
    if ('name' in params) f.name = str(params, 'name', { required: true });
    const active = bool(params, 'active');
    if (active !== undefined) f.active = active;
    if ('metadata' in params) f.metadata = metadata(params, f.metadata as Record<string, string>);
    return f;
  });

  routes.add('POST', '/v1/products/:id/features', ({ store, path, params }) => {
    const product = store.require('product', path.id!);
    const featureId = str(params, 'entitlement_feature', { required: true });
    const feature = store.require(FEATURE, featureId, 'entitlement_feature');
    if (productFeatures(store, product.id).some((pf) => (pf.entitlement_feature as string) === feature.id))
      throw invalid(`The feature ${featureId} is already attached to ${product.id}.`, 'entitlement_feature');
    return store.create<StripeObject>('prodft', PRODUCT_FEATURE, {
      entitlement_feature: feature.id,
      product: product.id,
    });
  });
  routes.add('GET', '/v1/products/:id/features', ({ store, path, params }) => {
    const product = store.require('product', path.id!);
    const data = productFeatures(store, product.id).map((pf) => shown(store, pf));
    return paginate(data, params, `/v1/products/${product.id}/features`);
  });
  routes.add('DELETE', '/v1/products/:id/features/:feature', ({ store, path }) => {
    const pf = store.require(PRODUCT_FEATURE, path.feature!);
    if (pf.product !== path.id)
      throw invalid(`No such product feature on ${path.id}.`, 'id', 'resource_missing');
    store.remove(pf.id);
    return { id: pf.id, object: PRODUCT_FEATURE, deleted: true };
  });

  routes.add('GET', '/v1/entitlements/active_entitlements', ({ store, params }) => {
    const customer = store.require('customer', str(params, 'customer', { required: true }), 'customer');
    return paginate(activeEntitlements(store, customer.id), params, '/v1/entitlements/active_entitlements');
  });
}

/** A product feature as Stripe shows it: the feature expanded, no `product`. */
function shown(store: AccountStore, pf: StripeObject): StripeObject {
  const { product: _p, ...rest } = pf;
  return {
    ...rest,
    entitlement_feature: store.get(pf.entitlement_feature as string) ?? pf.entitlement_feature,
  };
}

const productFeatures = (store: AccountStore, product: string) =>
  store.all(PRODUCT_FEATURE).filter((pf) => pf.product === product);

/** The customer's active entitlements: one per active feature of a product they are subscribed to. */
function activeEntitlements(store: AccountStore, customer: string): StripeObject[] {
  const products = new Set(
    store
      .all('subscription')
      .filter((s) => s.customer === customer && ENTITLING.has(s.status))
      .flatMap((s) => s.items.data.map((i) => idOf(i.price.product))),
  );
  const features = new Map<string, StripeObject>();
  for (const product of products)
    for (const pf of productFeatures(store, product)) {
      const f = store.get(pf.entitlement_feature as string);
      if (f?.active) features.set(f.id, f);
    }
  return [...features.values()].map((f) => ({
    id: `ent_${customer.slice(4)}_${f.id.slice(5)}`,
    object: 'entitlements.active_entitlement',
    feature: f.id,
    livemode: false,
    lookup_key: f.lookup_key,
  }));
}

/**
 * After a subscription event: when the customer's active entitlements changed, Stripe's summary event.
 * (The sandbox passes every event here, in order, after it is delivered.)
 */
export function summarizeEntitlements(event: StripeObject, store: AccountStore): void {
  if (!String(event.type).startsWith('customer.subscription.')) return;
  const customer = (event.data as { object: { customer?: string } }).object.customer;
  if (!customer) return;
  const entitlements = activeEntitlements(store, customer);
  const key = `entitlement_summary:${customer}`;
  const now = entitlements
    .map((e) => e.lookup_key)
    .sort()
    .join(',');
  const before = store.summaries.get(key) ?? '';
  if (now === before) return;
  store.summaries.set(key, now);
  store.emit('entitlements.active_entitlement_summary.updated', {
    id: customer,
    object: 'entitlements.active_entitlement_summary',
    customer,
    entitlements: {
      object: 'list',
      data: entitlements,
      has_more: false,
      url: '/v1/entitlements/active_entitlements',
    },
    livemode: false,
  });
}
