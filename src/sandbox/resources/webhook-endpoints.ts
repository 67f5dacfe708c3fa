import type { RouteTable } from '../app.js';
import { invalid } from '../errors.js';
import { arr, bool, metadata, str } from '../params.js';
import { paginate, type StripeObject } from '../store.js';
import { newWebhookSecret } from '../webhooks.js';

export function webhookEndpointRoutes(routes: RouteTable): void {
  routes.add('POST', '/v1/webhook_endpoints', ({ sandbox, params }) => {
    const url = str(params, 'url', { required: true });
    if (!/^https?:\/\//.test(url))
      throw invalid('Invalid URL: must start with http:// or https://.', 'url', 'url_invalid');
    const events = arr(params, 'enabled_events')?.map(String);
    if (!events || events.length === 0)
      throw invalid('Missing required param: enabled_events.', 'enabled_events', 'parameter_missing');
    const endpoint = sandbox.platform.create<StripeObject>('we', 'webhook_endpoint', {
      api_version: str(params, 'api_version') ?? null,
      application: null,
      connect: bool(params, 'connect') ?? false,
      description: str(params, 'description') ?? null,
      enabled_events: events,
      metadata: metadata(params),
      status: 'enabled',
      url,
    });
    const secret = newWebhookSecret();
    sandbox.webhooks.secrets.set(endpoint.id, secret);
    // Stripe shows the signing secret once, when the endpoint is created.
    return { ...endpoint, secret };
  });
  routes.add('GET', '/v1/webhook_endpoints/:id', ({ sandbox, path }) =>
    sandbox.platform.require('webhook_endpoint', path.id!),
  );
  routes.add('GET', '/v1/webhook_endpoints', ({ sandbox, params }) =>
    paginate(
      sandbox.platform.all('webhook_endpoint').filter((e) => e.deleted !== true),
      params,
      '/v1/webhook_endpoints',
    ),
  );
  routes.add('POST', '/v1/webhook_endpoints/:id', ({ sandbox, path, params }) => {
    const e = sandbox.platform.require('webhook_endpoint', path.id!);
    const url = str(params, 'url');
    if (url) e.url = url;
    const events = arr(params, 'enabled_events')?.map(String);
    if (events) e.enabled_events = events;
    const disabled = bool(params, 'disabled');
    if (disabled !== undefined) e.status = disabled ? 'disabled' : 'enabled';
    if ('metadata' in params) e.metadata = metadata(params, e.metadata as Record<string, string>);
    return e;
  });
  routes.add('DELETE', '/v1/webhook_endpoints/:id', ({ sandbox, path }) => {
    const e = sandbox.platform.require('webhook_endpoint', path.id!);
    e.deleted = true;
    sandbox.webhooks.secrets.delete(e.id);
    return { id: e.id, object: 'webhook_endpoint', deleted: true };
  });
}
