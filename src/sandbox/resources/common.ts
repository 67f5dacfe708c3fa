import type { RouteTable } from '../app.js';
import { str, type Params } from '../params.js';
import { createdFilter, paginate, type AccountStore, type StripeObject } from '../store.js';

/** `GET path` listing objects of one type, filtered by equality on the named params and `created`. */
export function listRoute(
  routes: RouteTable,
  path: string,
  object: string,
  filters: string[] = [],
  extra?: (o: StripeObject, p: Params, store: AccountStore) => boolean,
): void {
  routes.add('GET', path, ({ store, params }) => {
    const byCreated = createdFilter(params);
    const wanted = filters.map((f) => [f, str(params, f)] as const).filter(([, v]) => v !== undefined);
    const items = store
      .all(object)
      .filter((o) => o.deleted !== true && byCreated(o) && wanted.every(([f, v]) => fieldId(o[f]) === v))
      .filter((o) => (extra ? extra(o, params, store) : true));
    return paginate(items, params, path);
  });
}

export function retrieveRoute(routes: RouteTable, path: string, object: string): void {
  routes.add('GET', path, ({ store, path: p }) => store.require(object, p.id!));
}

/** A stored field that holds an id or (expanded) an object, as the id; anything else as it is. */
function fieldId(v: unknown): unknown {
  return v && typeof v === 'object' && 'id' in v ? v.id : v;
}

/** Applies plain scalar fields present in `params` to `target`; `''` clears a field to null. */
export function assignStrings(
  target: StripeObject,
  params: Params,
  fields: string[],
): Record<string, unknown> {
  const previous: Record<string, unknown> = {};
  for (const f of fields) {
    if (!(f in params)) continue;
    const v = params[f];
    previous[f] = target[f];
    target[f] = v === '' ? null : v;
  }
  return previous;
}

export function requireCustomer(
  store: AccountStore,
  id: string | undefined,
  param = 'customer',
): StripeObject | null {
  if (!id) return null;
  return store.require('customer', id, param);
}
