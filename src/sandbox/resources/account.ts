import type { RouteTable } from '../app.js';
import { metadata, str } from '../params.js';
import { newId, type AccountStore, type StripeObject } from '../store.js';
import { paginate } from '../store.js';

function accountObject(store: AccountStore, fields: Record<string, unknown> = {}): StripeObject {
  return {
    id: store.accountId,
    object: 'account',
    business_profile: { name: 'mcp-stripe sandbox', url: null, support_email: null },
    business_type: 'company',
    capabilities: { card_payments: 'active', transfers: 'active' },
    charges_enabled: true,
    country: 'US',
    created: store.now(),
    default_currency: 'usd',
    details_submitted: true,
    email: 'sandbox@example.com',
    metadata: {},
    payouts_enabled: true,
    settings: { dashboard: { display_name: 'mcp-stripe sandbox', timezone: 'Etc/UTC' } },
    type: 'standard',
    ...fields,
  };
}

export function accountRoutes(routes: RouteTable): void {
  routes.add('GET', '/v1/account', ({ store }) => accountObject(store));

  // Connect: connected accounts are separate namespaces reached with the Stripe-Account header.
  routes.add('POST', '/v1/accounts', ({ sandbox, params }) => {
    const id = newId('acct', 16);
    const store = sandbox.newAccount(id);
    const acct = accountObject(store, {
      type: str(params, 'type', { oneOf: ['custom', 'express', 'standard'] }) ?? 'standard',
      country: str(params, 'country') ?? 'US',
      email: str(params, 'email') ?? null,
      metadata: metadata(params),
    });
    sandbox.platform.insert(acct);
    return acct;
  });
  routes.add('GET', '/v1/accounts/:id', ({ sandbox, path }) => sandbox.platform.require('account', path.id!));
  routes.add('GET', '/v1/accounts', ({ sandbox, params }) =>
    paginate(sandbox.platform.all('account'), params, '/v1/accounts'),
  );
}
