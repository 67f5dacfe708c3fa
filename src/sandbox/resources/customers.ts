import type { RouteTable } from '../app.js';
import { invalid } from '../errors.js';
import { metadata, obj, str, type Params } from '../params.js';
import { newId, type AccountStore, type StripeObject } from '../store.js';
import { assignStrings, listRoute } from './common.js';
import { attachPaymentMethod } from './payment-methods.js';

const SCALARS = ['email', 'name', 'phone', 'description'];

function applyCustomer(store: AccountStore, c: StripeObject, params: Params): Record<string, unknown> {
  for (const f of SCALARS) str(params, f);
  const email = str(params, 'email');
  if (email !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
    throw invalid(`Invalid email address: ${email}`, 'email', 'email_invalid');
  }
  const previous = assignStrings(c, params, SCALARS);
  if ('metadata' in params) {
    previous.metadata = c.metadata;
    c.metadata = metadata(params, c.metadata as Record<string, string>);
  }
  const address = obj(params, 'address');
  if (address)
    c.address = {
      city: null,
      country: null,
      line1: null,
      line2: null,
      postal_code: null,
      state: null,
      ...address,
    };
  const pm = str(params, 'payment_method');
  if (pm) attachPaymentMethod(store, pm, c.id);
  const settings = obj(params, 'invoice_settings');
  if (settings) {
    const dpm = str(settings, 'default_payment_method');
    if (dpm) {
      const found = store.require('payment_method', dpm, 'invoice_settings[default_payment_method]');
      if (found.customer !== c.id) {
        throw invalid(
          `The customer does not have a payment method with the ID ${dpm}. The payment method must be attached to the customer.`,
          'invoice_settings[default_payment_method]',
        );
      }
    }
    previous.invoice_settings = c.invoice_settings;
    c.invoice_settings = { ...(c.invoice_settings as object), default_payment_method: dpm ?? null };
  }
  return previous;
}

/** Creates a customer as `POST /v1/customers` does (also used when the sandbox plays a customer). */
export function createCustomer(store: AccountStore, params: Params): StripeObject {
  const clockId = str(params, 'test_clock');
  // A customer on a test clock is created at the clock's time, and lives at it from then on.
  const clock = clockId ? store.require('test_helpers.test_clock', clockId, 'test_clock') : undefined;
  return store.at(clock?.frozen_time, () => newCustomer(store, params, clock?.id ?? null));
}

function newCustomer(store: AccountStore, params: Params, testClock: string | null): StripeObject {
  const c = store.create<StripeObject>('cus', 'customer', {
    address: null,
    balance: 0,
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email: null,
    invoice_prefix: newId('x', 8).slice(2).toUpperCase(),
    invoice_settings: {
      custom_fields: null,
      default_payment_method: null,
      footer: null,
      rendering_options: null,
    },
    metadata: {},
    name: null,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: testClock,
  });
  try {
    applyCustomer(store, c, params);
  } catch (err) {
    store.remove(c.id); // nothing half-written
    throw err;
  }
  store.emit('customer.created', c);
  return c;
}

export function customerRoutes(routes: RouteTable): void {
  routes.add('POST', '/v1/customers', ({ store, params }) => createCustomer(store, params));
  routes.add('GET', '/v1/customers/:id', ({ store, path }) => {
    const c = store.get(path.id!);
    if (c?.object === 'customer' && c.deleted === true)
      return { id: c.id, object: 'customer', deleted: true };
    return store.require('customer', path.id!);
  });
  routes.add('POST', '/v1/customers/:id', ({ store, path, params }) => {
    const c = store.require('customer', path.id!);
    const snapshot = structuredClone(c);
    try {
      const previous = applyCustomer(store, c, params);
      store.emit('customer.updated', c, previous);
    } catch (err) {
      Object.assign(c, snapshot);
      throw err;
    }
    return c;
  });
  routes.add('DELETE', '/v1/customers/:id', ({ store, path }) => {
    const c = store.require('customer', path.id!);
    store.markDeleted(c);
    store.emit('customer.deleted', c);
    return { id: c.id, object: 'customer', deleted: true };
  });
  listRoute(routes, '/v1/customers', 'customer', ['email']);
}
