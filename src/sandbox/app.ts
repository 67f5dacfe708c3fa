import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Hono, type Context } from 'hono';
import qs from 'qs';
import { DEFAULT_RETAIN, trimArray, trimMap } from '../util/bounded.js';
import { canonicalJson } from '../util/canonical.js';
import { SandboxError } from './errors.js';
import { FaultQueue, type Fault } from './faults.js';
import type { Params } from './params.js';
import {
  AccountStore,
  expand,
  newId,
  systemClock,
  type Clock,
  type RequestContext,
  type StripeObject,
} from './store.js';
import { WebhookDispatcher } from './webhooks.js';

export type Method = 'GET' | 'POST' | 'DELETE';

export interface SandboxRequest {
  params: Params;
  path: Record<string, string>;
  store: AccountStore;
  sandbox: SandboxState;
}

export type Handler = (req: SandboxRequest) => unknown;

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
}

/** The whole sandbox: one platform account plus Connect accounts, idempotency records and faults. */
export class SandboxState {
  readonly clock: Clock;
  readonly platform: AccountStore;
  readonly accounts = new Map<string, AccountStore>();
  readonly idempotency = new Map<string, StoredResponse>();
  readonly faults = new FaultQueue();
  /** Count of requests served per `METHOD path`, for tests that assert what reached "Stripe". */
  readonly requestLog: { method: string; path: string; status: number; idempotencyKey?: string }[] = [];

  /** The request being served, for the events it emits. */
  currentRequest: RequestContext = { id: null, idempotencyKey: null, apiVersion: null };
  readonly webhooks: WebhookDispatcher;

  readonly retain: number;

  constructor(private readonly options: SandboxOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.retain = options.retain ?? DEFAULT_RETAIN;
    this.webhooks = new WebhookDispatcher(this, options.webhookRetryDelaysMs);
    this.platform = this.newAccount(newId('acct', 16), false);
  }

  newAccount(id: string, connected = true): AccountStore {
    const store = new AccountStore(
      id,
      this.clock,
      (event, from) => {
        this.options.onEvent?.(event);
        this.webhooks.dispatch(event, from);
      },
      () => this.currentRequest,
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

const MASK = (key: string) => `${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`;

function parseParams(raw: string): Params {
  return qs.parse(raw, { depth: 12, arrayLimit: 1000, parameterLimit: 10_000, allowDots: false });
}

export function createSandboxApp(state: SandboxState, register: (routes: RouteTable) => void): Hono {
  const app = new Hono();

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

  const routes: RouteTable = {
    add(method, path, handler) {
      app.on(method, path, (c) => serve(c, state, method, handler));
    },
  };
  register(routes);

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

async function serve(c: Context, state: SandboxState, method: Method, handler: Handler): Promise<Response> {
  const requestId = newId('req', 14);
  const url = new URL(c.req.url);
  const headers: Record<string, string> = {
    'Request-Id': requestId,
    'Stripe-Version': c.req.header('Stripe-Version') ?? '',
  };
  const idempotencyKey = c.req.header('Idempotency-Key');
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  const log = (status: number) => {
    trimArray(state.requestLog, state.retain);
    state.requestLog.push({
      method,
      path: url.pathname,
      status,
      ...(idempotencyKey ? { idempotencyKey } : {}),
    });
  };
  const fail = (err: SandboxError) => {
    log(err.status);
    return c.json(err.toBody(requestId), err.status as 400, headers);
  };

  const fault = state.faults.take(method, url.pathname);
  if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
  if (fault?.kind === 'status') {
    const status = fault.status;
    const rateLimited = status === 429;
    if (!rateLimited) headers['Stripe-Should-Retry'] = 'true';
    return fail(
      new SandboxError(
        status,
        rateLimited ? 'invalid_request_error' : 'api_error',
        rateLimited
          ? 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.'
          : 'An unknown error occurred (sandbox fault injection).',
        rateLimited ? { code: 'rate_limit' } : {},
      ),
    );
  }

  const auth = c.req.header('Authorization') ?? '';
  const key = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
  if (!key) {
    return fail(
      new SandboxError(
        401,
        'invalid_request_error',
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      ),
    );
  }
  if (!state.acceptsKey(key)) {
    return fail(new SandboxError(401, 'invalid_request_error', `Invalid API Key provided: ${MASK(key)}`));
  }

  const missing = state.missingPermission(key, method, url.pathname);
  if (missing) {
    return fail(
      new SandboxError(
        403,
        'invalid_request_error',
        `The provided key '${MASK(key)}' does not have the required permissions for this endpoint on account '${state.platform.accountId}'. Having the '${missing}' permission would allow this request to continue.`,
      ),
    );
  }

  let store = state.platform;
  const account = c.req.header('Stripe-Account');
  if (account) {
    const found = state.accounts.get(account);
    if (!found) {
      return fail(
        new SandboxError(
          403,
          'invalid_request_error',
          `The provided key '${MASK(key)}' does not have access to account '${account}' (or that account does not exist). Application access may have been revoked.`,
        ),
      );
    }
    store = found;
  }

  const raw = method === 'POST' ? await c.req.text() : url.search.slice(1);
  const params = parseParams(raw);

  const idemKey =
    idempotencyKey && method !== 'GET' ? `${store.accountId}:${key}:${idempotencyKey}` : undefined;
  // Stripe compares the parameters, not their order on the wire.
  const fingerprint = createHash('sha256')
    .update(`${method} ${url.pathname}\n${canonicalJson(params)}`)
    .digest('hex');
  if (idemKey) {
    const prior = state.idempotency.get(idemKey);
    if (prior) {
      if (prior.fingerprint !== fingerprint) {
        return fail(
          new SandboxError(
            400,
            'idempotency_error',
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          ),
        );
      }
      log(prior.status);
      return c.body(prior.body, prior.status as 200, {
        ...headers,
        'Content-Type': 'application/json',
        'Idempotent-Replayed': 'true',
      });
    }
  }

  let status = 200;
  let body: string;
  state.currentRequest = {
    id: requestId,
    idempotencyKey: idempotencyKey ?? null,
    apiVersion: c.req.header('Stripe-Version') ?? null,
  };
  try {
    const expandPaths = toStringArray(params.expand);
    delete params.expand;
    const result = handler({ params, path: c.req.param(), store, sandbox: state });
    body = JSON.stringify(expandPaths.length ? expand(store, result, expandPaths) : result);
  } catch (err) {
    if (!(err instanceof SandboxError)) throw err;
    status = err.status;
    body = JSON.stringify(err.toBody(requestId));
    // Stripe saves the result of any request that started executing; validation failures are not saved.
    if (idemKey && status === 402) state.idempotency.set(idemKey, { fingerprint, status, body });
    if (fault?.kind === 'drop_after_commit') dropConnection(c);
    log(status);
    return c.body(body, status as 402, { ...headers, 'Content-Type': 'application/json' });
  } finally {
    state.currentRequest = { id: null, idempotencyKey: null, apiVersion: null };
  }
  if (idemKey) {
    state.idempotency.set(idemKey, { fingerprint, status, body });
    trimMap(state.idempotency, state.retain);
  }
  log(status);
  if (fault?.kind === 'drop_after_commit') {
    // The write is committed; the client never hears back. Its retry must replay, not repeat.
    dropConnection(c);
  }
  if (fault?.kind === 'status_after_commit') {
    // The write is committed; the client hears a server error. Its retry with the same key replays the result.
    return fail(
      new SandboxError(fault.status, 'api_error', 'An unknown error occurred (sandbox fault injection).'),
    );
  }
  return c.body(body, 200, { ...headers, 'Content-Type': 'application/json' });
}

function dropConnection(c: Context): void {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  incoming?.socket.destroy();
}

function toStringArray(v: unknown): string[] {
  if (v === undefined) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  if (typeof v === 'object' && v !== null)
    return Object.values(v).filter((x): x is string => typeof x === 'string');
  return [];
}
