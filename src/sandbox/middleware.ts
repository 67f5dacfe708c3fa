// The steps every sandbox request passes, each a named Hono middleware made by an options factory (as
// Hono's own `bodyLimit`), in the order Stripe applies them: request id and log → injected faults → API
// key → Connect account → form parameters (unknown ones refused) → idempotency → the handler, inside its
// request's scope.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import qs from 'qs';
import { match } from '../catalog/index.js';
import { trimArray, trimMap } from '../util/bounded.js';
import { canonicalJson } from '../util/canonical.js';
import type { SandboxState } from './app.js';
import { invalid, SandboxError } from './errors.js';
import type { Fault } from './faults.js';
import type { Params } from './params.js';
import { expand, newId, type AccountStore, type RequestContext } from './store.js';

/** What the middleware hand on to the next step, typed (`c.get('store')`). */
export interface SandboxEnv {
  Bindings: { incoming?: IncomingMessage };
  Variables: {
    requestId: string;
    fault: Fault | undefined;
    apiKey: string;
    store: AccountStore;
    params: Params;
    expand: string[];
    /** The handler started: a fault "after commit" applies. */
    ran: boolean;
    /** The JSON text answered (kept for an idempotent replay). */
    body: string;
  };
}
type Middleware = MiddlewareHandler<SandboxEnv>;

/**
 * The API request being served, for the events it emits (Stripe records it on each event). Handlers
 * are synchronous, so a scope set around one cannot see another request's: no AsyncLocalStorage,
 * whose promise hooks would slow every promise in the process.
 */
const NO_REQUEST: RequestContext = { id: null, idempotencyKey: null, apiVersion: null };
let current = NO_REQUEST;
export const currentRequest = (): RequestContext => current;

function inRequest<T>(scope: RequestContext, run: () => T): T {
  const outer = current;
  current = scope;
  try {
    const result = run();
    if (result instanceof Promise) throw new Error('sandbox handlers must be synchronous');
    return result;
  } finally {
    current = outer;
  }
}

/**
 * A key as Stripe shows it in errors: its `sk_test_` prefix and last four characters, the rest as `*`.
 * A key too short for that shows only its last four.
 */
export const MASK = (key: string): string => {
  const prefix = /^(?:sk|rk|pk)_(?:test|live)_/.exec(key)?.[0] ?? '';
  const tail = key.length > prefix.length + 4 ? key.slice(-4) : '';
  if (!tail) return '*'.repeat(key.length);
  return `${prefix}${'*'.repeat(key.length - prefix.length - 4)}${tail}`;
};

const header = (c: Context<SandboxEnv>, name: string) => c.req.header(name);

/** Gives the request its id and Stripe's echo headers, and logs what was answered (for tests). */
export function requestLog(state: SandboxState): Middleware {
  return async (c, next) => {
    const requestId = newId('req', 14);
    c.set('requestId', requestId);
    c.header('Request-Id', requestId);
    c.header('Stripe-Version', header(c, 'Stripe-Version') ?? '');
    const idempotencyKey = header(c, 'Idempotency-Key');
    if (idempotencyKey) c.header('Idempotency-Key', idempotencyKey);
    await next();
    trimArray(state.requestLog, state.retain);
    state.requestLog.push({
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ...(idempotencyKey ? { idempotencyKey } : {}),
      ...(c.get('apiKey') ? { key: c.get('apiKey').slice(-4) } : {}),
    });
  };
}

/** Takes the next injected fault for this request: a delay, an error before it runs, or one after commit. */
export function faults(state: SandboxState): Middleware {
  return async (c, next) => {
    const fault = state.faults.take(c.req.method, c.req.path);
    c.set('fault', fault);
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    if (fault?.kind === 'status') {
      const rateLimited = fault.status === 429;
      if (!rateLimited) c.header('Stripe-Should-Retry', 'true');
      throw new SandboxError(
        fault.status,
        rateLimited ? 'invalid_request_error' : 'api_error',
        rateLimited
          ? 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.'
          : 'An unknown error occurred (sandbox fault injection).',
        rateLimited ? { code: 'rate_limit' } : {},
      );
    }
    await next();
    if (!c.get('ran')) return;
    // The write is committed; the client never hears back. Its retry must replay, not repeat.
    if (fault?.kind === 'drop_after_commit') c.env.incoming?.socket.destroy();
    // The write is committed; the client hears a server error. A retry with the same key replays it.
    if (fault?.kind === 'status_after_commit' && c.res.status === 200) {
      const err = new SandboxError(
        fault.status,
        'api_error',
        'An unknown error occurred (sandbox fault injection).',
      );
      c.res = c.json(err.toBody(c.get('requestId')), fault.status as 500);
    }
  };
}

/** The key of `Authorization: Bearer <key>`, or of HTTP Basic (`curl -u sk_test_…:`, the key as the user). */
function keyOf(auth: string): string {
  if (auth.startsWith('Bearer ')) return auth.slice(7).trim();
  if (!auth.startsWith('Basic ')) return '';
  const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
  return decoded.split(':')[0]!.trim();
}

/** A key the sandbox accepts, holding the permission the endpoint needs when it is restricted. */
export function authenticate(state: SandboxState): Middleware {
  return async (c, next) => {
    const key = keyOf(header(c, 'Authorization') ?? '');
    if (!key) {
      throw new SandboxError(
        401,
        'invalid_request_error',
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      );
    }
    if (!state.acceptsKey(key))
      throw new SandboxError(401, 'invalid_request_error', `Invalid API Key provided: ${MASK(key)}`);
    const missing = state.missingPermission(key, c.req.method, c.req.path);
    if (missing) {
      throw new SandboxError(
        403,
        'invalid_request_error',
        `The provided key '${MASK(key)}' does not have the required permissions for this endpoint on account '${state.platform.accountId}'. Having the '${missing}' permission would allow this request to continue.`,
      );
    }
    c.set('apiKey', key);
    await next();
  };
}

/** The account the request acts on: the platform, or a Connect account named by `Stripe-Account`. */
export function account(state: SandboxState): Middleware {
  return async (c, next) => {
    const id = header(c, 'Stripe-Account');
    const store = id ? state.accounts.get(id) : state.platform;
    if (!store) {
      throw new SandboxError(
        403,
        'invalid_request_error',
        `The provided key '${MASK(c.get('apiKey'))}' does not have access to account '${id}' (or that account does not exist). Application access may have been revoked.`,
      );
    }
    c.set('store', store);
    await next();
  };
}

/** Stripe's form encoding (the body of a POST, the query of a GET or DELETE); `expand[]` set apart. */
export function form(): Middleware {
  return async (c, next) => {
    const raw = c.req.method === 'POST' ? await c.req.text() : queryOf(c.req.url);
    const params = qs.parse(raw, { depth: 12, arrayLimit: 1000, parameterLimit: 10_000, allowDots: false });
    c.set('expand', toStringArray(params.expand));
    delete params.expand;
    c.set('params', params);
    await next();
  };
}

/**
 * Stripe refuses a parameter its endpoint does not take (`Received unknown parameter: emial`), naming
 * a close match. Checked against the SDK's catalog of endpoints; the sandbox's own routes, which it
 * does not list, are not checked.
 */
export function knownParams(): Middleware {
  return async (c, next) => {
    const found = match(c.req.method, c.req.path);
    if (found) {
      const known = found.endpoint.params.map((p) => p.n);
      for (const name of Object.keys(c.get('params'))) {
        if (known.includes(name)) continue;
        const near = closest(name, known);
        throw invalid(
          `Received unknown parameter: ${name}${near ? `. Did you mean ${near}?` : ''}`,
          name,
          'parameter_unknown',
        );
      }
    }
    await next();
  };
}

/** The known name within two edits of `name` (a typo), if there is one. */
function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(name, k, bestDistance);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

/** Levenshtein distance, or `cap` once it is certain to reach it. */
function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    if (Math.min(...row) >= cap) return cap;
    prev = row;
  }
  return Math.min(prev[b.length]!, cap);
}

/**
 * `Idempotency-Key` on a write: the same key and parameters replay the first answer, other parameters
 * are an idempotency_error. Stripe saves the result of any request that started executing (a success or
 * a card decline); validation failures are not saved.
 */
export function idempotency(state: SandboxState): Middleware {
  return async (c, next) => {
    const given = header(c, 'Idempotency-Key');
    if (!given || c.req.method === 'GET') return next();
    const store = c.get('store');
    const path = c.req.path;
    const key = `${store.accountId}:${c.get('apiKey')}:${given}`;
    // Stripe compares the parameters, not their order on the wire.
    const fingerprint = createHash('sha256')
      .update(`${c.req.method} ${path}\n${canonicalJson(withExpand(c.get('params'), c.get('expand')))}`)
      .digest('hex');
    const prior = state.idempotency.get(key);
    if (prior) {
      if (prior.fingerprint !== fingerprint) {
        throw new SandboxError(
          400,
          'idempotency_error',
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${given}' if you meant to execute a different request.`,
        );
      }
      c.header('Content-Type', 'application/json');
      c.header('Idempotent-Replayed', 'true');
      return c.body(prior.body, prior.status as 200);
    }
    await next();
    if (c.res.status === 200 || c.res.status === 402) {
      state.idempotency.set(key, { fingerprint, status: c.res.status, body: c.get('body') });
      trimMap(state.idempotency, state.retain);
    }
  };
}

export interface SandboxRequest {
  params: Params;
  path: Record<string, string>;
  store: AccountStore;
  sandbox: SandboxState;
}

export type Handler = (req: SandboxRequest) => unknown;

/** Runs the handler inside the request scope (its events name this request), then applies `expand[]`. */
export function handle(state: SandboxState, handler: Handler): Middleware {
  return (c) => {
    c.set('ran', true);
    const scope: RequestContext = {
      id: c.get('requestId'),
      idempotencyKey: header(c, 'Idempotency-Key') ?? null,
      apiVersion: header(c, 'Stripe-Version') ?? null,
    };
    const store = c.get('store');
    const paths = c.get('expand');
    const result = inRequest(scope, () =>
      handler({ params: c.get('params'), path: c.req.param(), store, sandbox: state }),
    );
    const body = JSON.stringify(paths.length ? expand(store, result, paths) : result);
    c.set('body', body);
    c.header('Content-Type', 'application/json');
    return Promise.resolve(c.body(body, 200));
  };
}

/**
 * A SandboxError thrown by any step or handler becomes Stripe's error envelope with its status; anything
 * else is a sandbox bug, answered as Stripe answers its own: a 500 api_error.
 */
export function stripeError(err: Error, c: Context<SandboxEnv>): Response {
  const known =
    err instanceof SandboxError
      ? err
      : new SandboxError(500, 'api_error', 'An unknown error occurred in the mcp-stripe sandbox.');
  if (!(err instanceof SandboxError)) process.stderr.write(`sandbox: ${err.stack ?? err.message}\n`);
  const body = JSON.stringify(known.toBody(c.get('requestId') ?? newId('req', 14)));
  c.set('body', body);
  c.header('Content-Type', 'application/json');
  return c.body(body, known.status as 400);
}

const queryOf = (url: string) => {
  const at = url.indexOf('?');
  return at < 0 ? '' : url.slice(at + 1);
};

const withExpand = (params: Params, paths: string[]): Params =>
  paths.length ? { ...params, expand: paths } : params;

function toStringArray(v: unknown): string[] {
  if (v === undefined) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  if (typeof v === 'object' && v !== null)
    return Object.values(v).filter((x): x is string => typeof x === 'string');
  return [];
}
