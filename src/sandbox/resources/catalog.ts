import type { RouteTable } from '../app.js';
import { invalid, SandboxError } from '../errors.js';
import { arr, bool, currency, int, metadata, num, obj, str, type Params } from '../params.js';
import { newId, paginate, type AccountStore, type StripeObject, type Stored } from '../store.js';
import { listRoute, retrieveRoute } from './common.js';

function createProduct(store: AccountStore, params: Params, param = 'name'): StripeObject {
  const name = str(params, 'name', { required: true });
  if (name.length > 250) throw invalid('Product name can be at most 250 characters.', param);
  // Stripe lets a product have an id of your choosing.
  const id = str(params, 'id');
  if (id && store.get(id))
    throw new SandboxError(400, 'invalid_request_error', `Product already exists.`, {
      code: 'resource_already_exists',
      param: 'id',
    });
  const product = store.create<StripeObject>('prod', 'product', {
    ...(id ? { id } : {}),
    active: bool(params, 'active') ?? true,
    default_price: null,
    description: str(params, 'description') ?? null,
    images: arr(params, 'images')?.map(String) ?? [],
    marketing_features: [],
    metadata: metadata(params),
    name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: str(params, 'statement_descriptor') ?? null,
    tax_code: null,
    unit_label: str(params, 'unit_label') ?? null,
    updated: store.now(),
    url: str(params, 'url') ?? null,
  });
  store.emit('product.created', product);
  return product;
}

function createPrice(store: AccountStore, params: Params, productId?: string): StripeObject {
  const cur = currency(params);
  const unitAmount = int(params, 'unit_amount', { min: 0 });
  const unitAmountDecimal = num(params, 'unit_amount_decimal');
  if (unitAmount === undefined && unitAmountDecimal === undefined && !obj(params, 'custom_unit_amount')) {
    throw invalid(
      'You must pass either `unit_amount`, `unit_amount_decimal`, or `custom_unit_amount`.',
      'unit_amount',
      'parameter_missing',
    );
  }
  const recurringParams = obj(params, 'recurring');
  let recurring: Record<string, unknown> | null = null;
  if (recurringParams) {
    const interval = str(recurringParams, 'interval', {
      required: true,
      oneOf: ['day', 'week', 'month', 'year'],
    });
    const count = int(recurringParams, 'interval_count', { min: 1 }) ?? 1;
    const maxYears = { day: 1095, week: 156, month: 36, year: 3 }[interval as 'day'];
    if (count > maxYears)
      throw invalid(
        `Invalid recurring[interval_count]: must be at most ${maxYears} for ${interval}.`,
        'recurring[interval_count]',
      );
    recurring = {
      interval,
      interval_count: count,
      meter: null,
      trial_period_days: null,
      usage_type: str(recurringParams, 'usage_type', { oneOf: ['licensed', 'metered'] }) ?? 'licensed',
    };
    const meter = str(recurringParams, 'meter');
    if (meter) {
      if (recurring.usage_type !== 'metered')
        throw invalid('A meter can only be set on a price with usage_type=metered.', 'recurring[meter]');
      store.require('billing.meter', meter, 'recurring[meter]');
      recurring.meter = meter;
    }
  }
  let product = productId ?? str(params, 'product');
  const productData = obj(params, 'product_data');
  if (!product && !productData) {
    throw invalid(
      'You must specify either `product` or `product_data` when creating a price.',
      'product',
      'parameter_missing',
    );
  }
  if (product) store.require('product', product, 'product');
  else product = createProduct(store, productData!, 'product_data[name]').id;
  const amount = unitAmount ?? (unitAmountDecimal !== undefined ? Math.round(unitAmountDecimal) : null);
  const lookupKey = str(params, 'lookup_key');
  if (lookupKey) claimLookupKey(store, lookupKey, bool(params, 'transfer_lookup_key') === true);
  const price = store.create<StripeObject>('price', 'price', {
    active: bool(params, 'active') ?? true,
    billing_scheme: 'per_unit',
    currency: cur,
    custom_unit_amount: null,
    lookup_key: lookupKey ?? null,
    metadata: metadata(params),
    nickname: str(params, 'nickname') ?? null,
    product,
    recurring,
    tax_behavior:
      str(params, 'tax_behavior', { oneOf: ['exclusive', 'inclusive', 'unspecified'] }) ?? 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: recurring ? 'recurring' : 'one_time',
    unit_amount: amount,
    unit_amount_decimal: amount === null ? null : String(unitAmountDecimal ?? amount),
  });
  store.emit('price.created', price);
  return price;
}

/** A lookup key names one price: taking one in use needs `transfer_lookup_key`, which moves it. */
function claimLookupKey(store: AccountStore, key: string, transfer: boolean, except?: string): void {
  const holder = store.all('price').find((p) => p.lookup_key === key && p.id !== except);
  if (!holder) return;
  if (!transfer)
    throw invalid(
      `A price (\`${holder.id}\`) already uses that lookup key. Pass transfer_lookup_key=true to move it to this price.`,
      'lookup_key',
    );
  holder.lookup_key = null;
}

export function requireActivePrice(store: AccountStore, id: string, param: string): Stored<'price'> {
  const price = store.require('price', id, param);
  if (price.active !== true)
    throw invalid(`The price specified (${id}) is inactive. This field only accepts active prices.`, param);
  return price;
}

function createCoupon(store: AccountStore, params: Params): StripeObject {
  const percentOff = num(params, 'percent_off');
  const amountOff = int(params, 'amount_off', { min: 1 });
  if ((percentOff === undefined) === (amountOff === undefined)) {
    throw invalid(
      'You must pass exactly one of percent_off or amount_off.',
      percentOff === undefined ? 'percent_off' : 'amount_off',
    );
  }
  if (percentOff !== undefined && (percentOff <= 0 || percentOff > 100)) {
    throw invalid('Invalid percent_off: must be greater than 0 and at most 100.', 'percent_off');
  }
  const cur = amountOff !== undefined ? str(params, 'currency') : undefined;
  if (amountOff !== undefined && !cur)
    throw invalid('You must pass currency when passing amount_off.', 'currency', 'parameter_missing');
  const duration = str(params, 'duration', { oneOf: ['forever', 'once', 'repeating'] }) ?? 'once';
  const months = int(params, 'duration_in_months', { min: 1 });
  if (duration === 'repeating' && months === undefined) {
    throw invalid(
      'You must pass duration_in_months when duration is repeating.',
      'duration_in_months',
      'parameter_missing',
    );
  }
  const id = str(params, 'id');
  if (id && store.get(id))
    throw new SandboxError(400, 'invalid_request_error', 'Coupon already exists.', {
      code: 'resource_already_exists',
      param: 'id',
    });
  const coupon: StripeObject = {
    id: id ?? newId('x', 8).slice(2),
    object: 'coupon',
    amount_off: amountOff ?? null,
    created: store.now(),
    currency: cur?.toLowerCase() ?? null,
    duration,
    duration_in_months: duration === 'repeating' ? months! : null,
    livemode: false,
    max_redemptions: int(params, 'max_redemptions', { min: 1 }) ?? null,
    metadata: metadata(params),
    name: str(params, 'name') ?? null,
    percent_off: percentOff ?? null,
    redeem_by: int(params, 'redeem_by') ?? null,
    times_redeemed: 0,
    valid: true,
  };
  store.insert(coupon);
  store.emit('coupon.created', coupon);
  return coupon;
}

/** `line_items[i][price]` + `[quantity]`, validated against stored prices. */
export function lineItems(
  store: AccountStore,
  params: Params,
  required: boolean,
): { price: StripeObject; quantity: number }[] {
  const items = arr(params, 'line_items');
  if (!items || items.length === 0) {
    if (required) throw invalid('Missing required param: line_items.', 'line_items', 'parameter_missing');
    return [];
  }
  return items.map((raw, i) => {
    const item = (raw ?? {}) as Params;
    const param = `line_items[${i}][price]`;
    const priceId = str(item, 'price');
    const priceData = obj(item, 'price_data');
    if (priceId && priceData)
      throw invalid(`You may only specify one of these parameters: price, price_data.`, param);
    if (!priceId && !priceData)
      throw invalid(`Missing required param: ${param}.`, param, 'parameter_missing');
    // An inline price, as Stripe makes one for price_data.
    const price = priceData ? createPrice(store, priceData) : requireActivePrice(store, priceId!, param);
    const quantity = int(item, 'quantity', { min: 1, max: 999_999 }) ?? 1;
    return { price, quantity };
  });
}

/** The `item` objects Stripe lists under a payment link's or Checkout session's `line_items`. */
export function lineItemObjects(
  items: { price: StripeObject; quantity: number }[],
): Record<string, unknown>[] {
  return items.map(({ price, quantity }) => ({
    id: newId('li'),
    object: 'item',
    amount_subtotal: (price.unit_amount as number) * quantity,
    amount_total: (price.unit_amount as number) * quantity,
    currency: price.currency,
    description: null,
    price,
    quantity,
  }));
}

export function catalogRoutes(routes: RouteTable): void {
  routes.add('POST', '/v1/products', ({ store, params }) => {
    const product = createProduct(store, params);
    const dpd = obj(params, 'default_price_data');
    if (dpd) product.default_price = createPrice(store, dpd, product.id).id;
    return product;
  });
  retrieveRoute(routes, '/v1/products/:id', 'product');
  routes.add('POST', '/v1/products/:id', ({ store, path, params }) => {
    const p = store.require('product', path.id!);
    const name = str(params, 'name');
    if (name !== undefined) p.name = name;
    for (const f of ['description', 'url', 'unit_label', 'statement_descriptor'])
      if (f in params) p[f] = str(params, f) ?? null;
    const active = bool(params, 'active');
    if (active !== undefined) p.active = active;
    const dp = str(params, 'default_price');
    if (dp) p.default_price = store.require('price', dp, 'default_price').id;
    if ('metadata' in params) p.metadata = metadata(params, p.metadata);
    p.updated = store.now();
    store.emit('product.updated', p);
    return p;
  });
  listRoute(routes, '/v1/products', 'product', [], (p, params) => {
    const active = bool(params, 'active');
    return active === undefined || p.active === active;
  });

  routes.add('POST', '/v1/prices', ({ store, params }) => createPrice(store, params));
  retrieveRoute(routes, '/v1/prices/:id', 'price');
  routes.add('POST', '/v1/prices/:id', ({ store, path, params }) => {
    const p = store.require('price', path.id!);
    const active = bool(params, 'active');
    if (active !== undefined) p.active = active;
    const key = str(params, 'lookup_key');
    if (key) claimLookupKey(store, key, bool(params, 'transfer_lookup_key') === true, p.id);
    for (const f of ['nickname', 'lookup_key']) if (f in params) p[f] = str(params, f) ?? null;
    if ('metadata' in params) p.metadata = metadata(params, p.metadata);
    store.emit('price.updated', p);
    return p;
  });
  listRoute(routes, '/v1/prices', 'price', ['product', 'currency', 'type'], (p, params) => {
    const active = bool(params, 'active');
    const keys = arr(params, 'lookup_keys')?.map(String);
    return (active === undefined || p.active === active) && (!keys || keys.includes(p.lookup_key as string));
  });

  routes.add('POST', '/v1/coupons', ({ store, params }) => createCoupon(store, params));
  retrieveRoute(routes, '/v1/coupons/:id', 'coupon');
  listRoute(routes, '/v1/coupons', 'coupon');
  routes.add('DELETE', '/v1/coupons/:id', ({ store, path }) => {
    const c = store.require('coupon', path.id!);
    store.remove(c.id);
    store.emit('coupon.deleted', c);
    return { id: c.id, object: 'coupon', deleted: true };
  });

  routes.add('POST', '/v1/payment_links', ({ store, params }) => {
    const items = lineItems(store, params, true);
    const currencies = new Set(items.map((i) => i.price.currency));
    if (currencies.size > 1)
      throw invalid('All prices on a payment link must have the same currency.', 'line_items');
    const link = store.create<StripeObject>('plink', 'payment_link', {
      active: true,
      after_completion: { hosted_confirmation: { custom_message: null }, type: 'hosted_confirmation' },
      allow_promotion_codes: bool(params, 'allow_promotion_codes') ?? false,
      automatic_tax: { enabled: false, liability: null },
      billing_address_collection: 'auto',
      currency: items[0]!.price.currency,
      custom_fields: [],
      custom_text: {
        after_submit: null,
        shipping_address: null,
        submit: null,
        terms_of_service_acceptance: null,
      },
      customer_creation: 'if_required',
      payment_method_collection: 'always',
      phone_number_collection: { enabled: false },
      shipping_options: [],
      submit_type: 'auto',
      tax_id_collection: { enabled: false, required: 'never' },
      metadata: metadata(params),
      url: '',
    });
    link.url = `https://buy.stripe.com/test_${link.id.slice(6, 20)}`;
    store.lineItems.set(link.id, lineItemObjects(items));
    store.emit('payment_link.created', link);
    return link;
  });
  retrieveRoute(routes, '/v1/payment_links/:id', 'payment_link');
  listRoute(routes, '/v1/payment_links', 'payment_link', [], (l, params) => {
    const active = bool(params, 'active');
    return active === undefined || l.active === active;
  });
  routes.add('GET', '/v1/payment_links/:id/line_items', ({ store, path, params }) => {
    store.require('payment_link', path.id!);
    return paginate(
      [...(store.lineItems.get(path.id!) ?? [])].reverse() as StripeObject[],
      params,
      `/v1/payment_links/${path.id}/line_items`,
    );
  });
}
