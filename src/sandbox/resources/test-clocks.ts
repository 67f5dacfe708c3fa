// Test clocks (`/v1/test_helpers/test_clocks`): a customer created on a clock lives at the clock's frozen
// time, and advancing the clock runs, in order, everything that falls due for that customer's
// subscriptions (trial notices, trial ends, renewals, payment retries, cancellations at period end).
// The sandbox advances synchronously: the response already says `ready`, which a client that polls for
// `ready`, as Stripe's docs advise, accepts at once.
import type { RouteTable } from '../app.js';
import { invalid } from '../errors.js';
import { int, str } from '../params.js';
import type { AccountStore, Stored } from '../store.js';
import { listRoute, retrieveRoute } from './common.js';
import { runDueUntil } from './subscription-cycle.js';

const CLOCK = 'test_helpers.test_clock';
type CustomerRef = string | { id: string } | null | undefined;
/** Stripe deletes a test clock 30 days after it was created. */
const LIFETIME_S = 30 * 86_400;

/** The frozen time of the clock a customer lives on, if it lives on one. */
export function clockTimeOf(store: AccountStore, customer: CustomerRef): number | undefined {
  return store.find(CLOCK, store.find('customer', customer)?.test_clock)?.frozen_time;
}

/** Runs `fn` at the time of `customer`'s test clock (at the sandbox's time when it has none). */
export function inCustomerTime<T>(store: AccountStore, customer: CustomerRef, fn: () => T): T {
  return store.at(clockTimeOf(store, customer), fn);
}

function advance(store: AccountStore, clock: Stored<typeof CLOCK>, to: number): void {
  clock.status = 'advancing';
  store.at(clock.frozen_time, () => store.emit('test_helpers.test_clock.advancing', clock));
  const customers = new Set(
    store
      .all('customer')
      .filter((c) => c.test_clock === clock.id)
      .map((c) => c.id),
  );
  const subs = () => store.all('subscription').filter((s) => customers.has(s.customer as string));
  runDueUntil(store, subs, to, clock.frozen_time, (at) => {
    clock.frozen_time = at;
  });
  clock.frozen_time = to;
  clock.status = 'ready';
  store.at(to, () => store.emit('test_helpers.test_clock.ready', clock));
}

export function testClockRoutes(routes: RouteTable): void {
  routes.add('POST', '/v1/test_helpers/test_clocks', ({ store, params }) => {
    const frozen = int(params, 'frozen_time', { required: true });
    return store.create('clock', CLOCK, {
      deletes_after: store.now() + LIFETIME_S,
      frozen_time: frozen,
      name: str(params, 'name') ?? null,
      status: 'ready',
      status_details: {},
    });
  });
  retrieveRoute(routes, '/v1/test_helpers/test_clocks/:id', CLOCK);
  listRoute(routes, '/v1/test_helpers/test_clocks', CLOCK, []);
  routes.add('POST', '/v1/test_helpers/test_clocks/:id/advance', ({ store, path, params }) => {
    const clock = store.require(CLOCK, path.id!);
    const to = int(params, 'frozen_time', { required: true });
    if (to <= clock.frozen_time)
      throw invalid(
        `The test clock can only move forward: frozen_time must be after the clock's current time (${clock.frozen_time}).`,
        'frozen_time',
      );
    advance(store, clock, to);
    return clock;
  });
  routes.add('DELETE', '/v1/test_helpers/test_clocks/:id', ({ store, path }) => {
    const clock = store.require(CLOCK, path.id!);
    // As on Stripe: deleting a clock deletes the customers (and so the objects) that live on it.
    for (const c of store.all('customer')) if (c.test_clock === clock.id) store.markDeleted(c);
    store.remove(clock.id);
    return { id: clock.id, object: CLOCK, deleted: true };
  });
}
