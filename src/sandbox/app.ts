import { Hono } from 'hono';
import { DEFAULT_RETAIN } from '../util/bounded.js';
import { SandboxError } from './errors.js';
import { FaultQueue, type Fault } from './faults.js';
import {
  account,
  authenticate,
  currentRequest,
  faults,
  form,
  handle,
  idempotency,
  knownParams,
  requestLog,
  stripeError,
  type Handler,
  type SandboxEnv,
} from './middleware.js';
import { AccountStore, newId, systemClock, type Clock, type StripeObject } from './store.js';
import { WebhookDispatcher, type DeliveryBehaviour } from './webhooks.js';

export type { Handler, SandboxRequest } from './middleware.js';

export type Method = 'GET' | 'POST' | 'DELETE';

export interface RouteTable {
  add(method: Method, path: string, handler: Handler): void;
}

interface StoredResponse {
  fingerprint: string;
  status: number;
  body: string;
}

export interface SandboxOptions {
  /**
   * How many events, stored idempotent responses, request-log and delivery entries to keep (the oldest
   * go first): a long-running sandbox stays bounded. Default 10,000 each.
   */
  retain?: number;
  clock?: Clock;
  /** Keys the sandbox accepts. Default: any well-formed `sk_test_…` / `rk_test_…` key. */
  apiKeys?: string[];
  /**
   * Restricted keys and the permissions they hold, named as Stripe names them (`rak_customer_read`,
   * `rak_refund_write`, …). A restricted key not listed here may do everything.
   */
  restrictedKeys?: Record<string, string[]>;
  onEvent?: (event: StripeObject) => void;
  /** Delays between webhook delivery attempts, in ms; the length is the number of attempts. */
  webhookRetryDelaysMs?: number[];
  /** Deliveries out of order and twice (Stripe promises neither order nor once). */
  webhookDelivery?: DeliveryBehaviour;
}

/** The whole sandbox: one platform account plus Connect accounts, idempotency records and faults. */
export class SandboxState {
  readonly clock: Clock;
  /** Where the sandbox listens (`http://127.0.0.1:port`): its hosted pages' URLs name it. */
  origin?: string;
  readonly platform: AccountStore;
  readonly accounts = new Map<string, AccountStore>();
  readonly idempotency = new Map<string, StoredResponse>();
  readonly faults = new FaultQueue();
  /** Count of requests served per `METHOD path`, for tests that assert what reached "Stripe". */
  /** What was answered; `key` is the API key's last four characters, as Stripe's request logs show it. */
  readonly requestLog: {
    method: string;
    path: string;
    status: number;
    idempotencyKey?: string;
    key?: string;
  }[] = [];

  readonly webhooks: WebhookDispatcher;
  /** What Stripe derives from an event (an entitlement summary from a subscription change), run after it. */
  readonly followUps: ((event: StripeObject, store: AccountStore) => void)[] = [];

  readonly retain: number;

  constructor(private readonly options: SandboxOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.retain = options.retain ?? DEFAULT_RETAIN;
    this.webhooks = new WebhookDispatcher(this, options.webhookRetryDelaysMs);
    this.webhooks.behaviour = options.webhookDelivery ?? {};
    this.platform = this.newAccount(newId('acct', 16), false);
  }

  /** An object of one type by id, in whichever account holds it (hosted pages are not per account). */
  locate(id: string, object: string): { store: AccountStore; found: StripeObject } | undefined {
    for (const store of [this.platform, ...this.accounts.values()]) {
      const found = store.get(id);
      if (found?.object === object) return { store, found };
    }
    return undefined;
  }

  newAccount(id: string, connected = true): AccountStore {
    const store = new AccountStore(
      id,
      this.clock,
      (event, from) => {
        this.options.onEvent?.(event);
        this.webhooks.dispatch(event, from);
        for (const follow of this.followUps) follow(event, from);
      },
      currentRequest,
      connected,
      this.retain,
    );
    this.accounts.set(id, store);
    return store;
  }

  /** The permission a restricted key lacks for this request, if any. */
  missingPermission(key: string, method: string, path: string): string | undefined {
    const granted = this.options.restrictedKeys?.[key];
    if (!granted) return undefined;
    const needed = requiredPermission(method, path);
    return granted.includes(needed) ? undefined : needed;
  }

  acceptsKey(key: string): boolean {
    if (this.options.apiKeys) return this.options.apiKeys.includes(key);
    return /^(sk|rk)_test_[A-Za-z0-9_]{8,}$/.test(key);
  }
}

/** Stripe's permission name for an endpoint: `rak_<resource>_<read|write>`. */
export function requiredPermission(method: string, path: string): string {
  const parts = path.replace(/^\/v1\//, '').split('/');
  const resource =
    parts[0] === 'checkout' || parts[0] === 'billing_portal'
      ? `${parts[0]}_${parts[1] ?? ''}`
      : (parts[0] ?? '');
  const singular = resource
    .replace(/ies$/, 'y')
    .replace(/(?<!s)s$/, '')
    .replace(/sses$/, 'ss');
  return `rak_${singular}_${method === 'GET' ? 'read' : 'write'}`;
}

export function createSandboxApp(
  state: SandboxState,
  register: (routes: RouteTable) => void,
): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>();

  // Test-only control surface: inject faults (`POST /_sandbox/faults`, JSON), clear them (DELETE).
  app.post('/_sandbox/faults', async (c) => {
    const fault = await c.req.json<Fault>();
    state.faults.push(fault);
    return c.json({ ok: true, pending: state.faults.size });
  });
  app.delete('/_sandbox/faults', (c) => {
    state.faults.clear();
    return c.json({ ok: true });
  });
  // How webhooks are delivered from now on: `{ "order": "reverse" | "shuffle", "duplicate": true }`.
  app.post('/_sandbox/webhooks', async (c) => {
    state.webhooks.behaviour = await c.req.json<DeliveryBehaviour>();
    return c.json({ ok: true, behaviour: state.webhooks.behaviour });
  });

  const routes: RouteTable = {
    add(method, path, handler) {
      app.on(
        method,
        path,
        requestLog(state),
        faults(state),
        authenticate(state),
        account(state),
        form(),
        knownParams(),
        idempotency(state),
        handle(state, handler),
      );
    },
  };
  register(routes);
  app.onError(stripeError);

  app.notFound((c) => {
    const err = new SandboxError(
      404,
      'invalid_request_error',
      `Unrecognized request URL (${c.req.method}: ${new URL(c.req.url).pathname}). The mcp-stripe sandbox does not implement this endpoint; it implements the endpoints the named tools use.`,
      { code: 'resource_missing' },
    );
    const requestId = newId('req', 14);
    return c.json(err.toBody(requestId), 404, { 'Request-Id': requestId });
  });
  return app;
}
