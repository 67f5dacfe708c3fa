import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import {
  createMcpHandler,
  DEFAULT_MAX_REQUEST_BODY_SIZE,
  isJsonContentType,
  type AuthInfo,
} from '@modelcontextprotocol/server';
import cors from 'cors';
import { Hono } from 'hono';
import { cors as honoCors } from 'hono/cors';
import { callerOf, localCaller } from '../auth/caller.js';
import type { EdgeAuth, HttpAnswer } from '../auth/gate.js';
import type { BillingEngine } from '../billing/engine.js';
import { mountConsole, type ConsoleDeps } from '../console/app.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { ServerFactory } from '../server/build-server.js';
import { closeAll } from '../util/close-all.js';
import { PRODUCT_NAME, VERSION } from '../version.js';
import { MAX_WEBHOOK_BYTES, receiveWebhook, type WebhookDeps } from '../webhooks/receiver.js';
import { MAX_JSON_DEPTH, nestsDeeperThan, OwnOrigin } from './origin.js';

export interface RemoteHttp {
  /** The canonical URL clients reach this server at (no trailing slash). */
  publicUrl?: string;
  /** Browser origins allowed besides the public URL's own (CORS). */
  allowedOrigins?: readonly string[];
  /** Honour X-Forwarded-Host from a TLS-terminating proxy in the Host check. */
  trustProxy?: boolean;
  /** Authentication, made once the server's own origin is known (its resource is `<origin>/mcp`). */
  auth?: (origin: string) => Promise<EdgeAuth | undefined>;
  /** The bearer token `GET /metrics` asks for on a server with authentication. */
  metricsToken?: string;
}

export interface HttpOptions {
  /** Serves MCP at `/mcp` when given (a webhook-only listener has none). */
  factory?: ServerFactory;
  /** Receives Stripe webhooks at `POST /webhooks/stripe` when given. */
  webhooks?: WebhookDeps;
  logger: Logger;
  /** Serves the operator console at `/console` when given. */
  console?: ConsoleDeps;
  /** What `/healthz` reports as the Stripe mode. */
  mode: 'sandbox' | 'test' | 'live';
  remote?: RemoteHttp;
  /** Plans and quotas: the pages its links lead to, at /billing. */
  billing?: BillingEngine;
  /** What `GET /readyz` checks: the store (it decides), and whether Stripe answers (reported only). */
  readiness?: () => Promise<Readiness>;
  /** Served at `GET /metrics` (Prometheus text format). */
  metrics?: Metrics;
}

export interface Readiness {
  /** `ok`, or why the store does not answer. */
  store: string;
  /** `ok`, or why Stripe does not answer: reported, never a reason to take the instance out. */
  stripe: string;
}

/**
 * The HTTP surface besides MCP: `GET /healthz`, the operator console, and a 404 that lists the
 * endpoints. `/mcp` and `/webhooks/stripe` are served straight from node:http (see startHttp).
 */
export function createHttpApp(
  opts: HttpOptions,
  own = new OwnOrigin(),
  auth?: EdgeAuth,
  /** billing/routes.ts's mountBilling, loaded only with --plans. */
  mountBilling?: (app: Hono, billing: BillingEngine, logger: Logger) => void,
): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok', name: PRODUCT_NAME, version: VERSION, mode: opts.mode }));
  // Readiness for a load balancer: ready while the store answers. Stripe being down makes every
  // instance equally unable, so it is reported but does not fail the check.
  app.get('/readyz', async (c) => {
    const r = (await opts.readiness?.()) ?? { store: 'ok', stripe: 'not checked' };
    const ready = r.store === 'ok';
    return c.json({ status: ready ? 'ready' : 'not ready', ...r }, ready ? 200 : 503);
  });
  if (opts.metrics) mountMetrics(app, opts.metrics, auth ? opts.remote?.metricsToken : null);
  const metadata = auth?.gate.metadata();
  if (metadata) {
    // RFC 9728: at the path-aware location for `/mcp`, and at the root for clients that probe there.
    const serve = (c: { json: (v: unknown) => Response }) => c.json(metadata);
    for (const path of [
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]) {
      app.use(path, honoCors({ origin: '*', allowMethods: ['GET'] }));
      app.get(path, serve);
    }
  }
  if (opts.console) mountConsole(app, opts.console, own, auth?.operators);
  if (opts.billing && mountBilling) mountBilling(app, opts.billing, opts.logger);
  const endpoints = [
    ...(opts.factory ? ['/mcp', '/sse', '/messages', '/ws'] : []),
    '/healthz',
    '/readyz',
    ...(opts.metrics ? ['/metrics'] : []),
    ...(opts.console ? ['/console'] : []),
    ...(opts.billing ? ['/billing'] : []),
    ...(opts.webhooks ? ['/webhooks/stripe'] : []),
  ];
  app.notFound((c) => c.json({ error: 'not found', endpoints }, 404));
  app.onError((err, c) => {
    opts.logger.error('http handler error', { error: err });
    return c.json({ error: 'internal error' }, 500);
  });
  return app;
}

/**
 * `GET /metrics`. A server without authentication listens on loopback only, so it is open there;
 * with authentication it answers only `Authorization: Bearer <--metrics-token>` (`token` null: open).
 */
function mountMetrics(app: Hono, metrics: Metrics, token: string | undefined | null): void {
  const digest = (v: string) => createHash('sha256').update(v).digest();
  const expected = token ? digest(token) : undefined;
  app.get('/metrics', async (c) => {
    if (token !== null) {
      if (!expected)
        return c.json(
          {
            error:
              'metrics are not served on a server with --auth until --metrics-token (MCP_STRIPE_METRICS_TOKEN) is set; then scrape with Authorization: Bearer <token>',
          },
          403,
        );
      const given = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
      if (!given || !timingSafeEqual(digest(given), expected)) {
        c.header('www-authenticate', 'Bearer realm="metrics"');
        return c.json({ error: 'send Authorization: Bearer <the --metrics-token value>' }, 401);
      }
    }
    const { contentType, body } = await metrics.render();
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  });
}

export interface RunningHttp {
  url: string;
  /** How the operator signs in to the embedded authorization server (the sandbox's demo user). */
  signInHint?: string;
  port: number;
  close(): Promise<void>;
}

export async function startHttp(opts: HttpOptions & { host: string; port: number }): Promise<RunningHttp> {
  const remote = opts.remote ?? {};
  const own = new OwnOrigin(remote);
  // Routes are set once the port is known (the resource identifier may name it); until then, nothing is served.
  let route: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(503).end();
  };
  const server = createServer((req, res) => route(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  own.listen(opts.host, port);
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const origin = remote.publicUrl ?? `http://${host}:${port}`;
  const auth = await remote.auth?.(origin);
  // Billing links are absolute: they name this origin.
  await opts.billing?.bind(origin);
  const billingRoutes = opts.billing ? await import('../billing/routes.js') : undefined;
  const app = createHttpApp(opts, own, auth, billingRoutes?.mountBilling);
  const honoListener = getRequestListener((req, env) => app.fetch(req, env), {
    hostname: opts.host,
    overrideGlobalObjects: false,
  });
  const checks = edgeChecks(own, auth, opts.logger);
  const admit = admission(own, checks);
  const mcp = opts.factory ? mcpListener(opts.factory, opts.logger, admit, auth) : undefined;
  // The 2024-11-05 HTTP+SSE transport and WebSocket, for clients that speak only those.
  const legacy = opts.factory
    ? (await import('./legacy.js')).legacyTransports({
        factory: opts.factory,
        admit,
        checks,
        auth,
        logger: opts.logger,
      })
    : undefined;
  server.on('upgrade', (req, socket, head) => {
    if (legacy && req.url?.split('?')[0] === '/ws') legacy.upgrade(req, socket, head);
    else socket.destroy();
  });
  const webhooks = opts.webhooks;
  const as = auth?.authorizationServer;
  // The authorization server builds its URLs from the request's host: only this server's own is served
  // (a forged Host must not put another origin in discovery documents or redirects).
  /** True when the request was for the authorization server under a host not this server's (answered 403). */
  const foreignHost = (req: IncomingMessage, res: ServerResponse): boolean => {
    const path = req.url?.split('?')[0] ?? '';
    if (!path.startsWith('/oauth') && !path.startsWith('/.well-known/o')) return false;
    const refused = own.refusal(req.headers.host, undefined, {
      forwardedHost: req.headers['x-forwarded-host'],
    });
    if (!refused) return false;
    res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end(refused);
    return true;
  };
  route = (req, res) => {
    const path = req.url?.split('?')[0];
    if (path === '/mcp' && mcp) mcp.serve(req, res);
    else if (as && foreignHost(req, res)) return;
    else if (as?.handle(req, res)) return;
    else if (legacy && req.method === 'GET' && path === '/sse') legacy.sse(req, res);
    else if (legacy && req.method === 'POST' && path === '/messages') legacy.messages(req, res);
    else if (webhooks && req.method === 'POST' && path === '/webhooks/stripe')
      handleWebhook(req, res, webhooks);
    else void honoListener(req, res);
  };
  return {
    url: `${origin}/mcp`,
    ...(auth?.signInHint ? { signInHint: auth.signInHint } : {}),
    port,
    close: () =>
      closeAll([
        () => mcp?.close(),
        () => legacy?.close(),
        () =>
          new Promise<void>((resolve) => {
            if ('closeAllConnections' in server) server.closeAllConnections();
            server.close(() => resolve());
          }),
      ]),
  };
}

/**
 * MCP Streamable HTTP at `/mcp`: the SDK's stateless handler (both protocol eras) behind its Node
 * adapter, with Host and Origin checked against DNS rebinding. A JSON POST body is read and parsed
 * here and handed over parsed, so the SDK does not re-read it through web streams (the hot path:
 * every tool call is one POST).
 */
function mcpListener(
  factory: ServerFactory,
  logger: Logger,
  admit: Admit,
  auth: EdgeAuth | undefined,
): { serve(req: IncomingMessage, res: ServerResponse): void; close(): Promise<void> } {
  const local = localCaller('http');
  const handler = createMcpHandler(({ authInfo }) => factory(callerOf(authInfo) ?? local), {
    onerror: (error) => logger.warn('mcp request rejected or failed', { error: error.message }),
  });
  const toNode = toNodeHandler(handler, {
    onerror: (error) => logger.error('mcp request failed', { error }),
  });
  const forward = (req: IncomingMessage, res: ServerResponse, parsed?: unknown) => {
    void toNode(req, res, parsed);
  };
  const serve = (req: IncomingMessage, res: ServerResponse) => {
    admit(req, res).then(
      (admitted) => {
        if (admitted) dispatch(req, res);
      },
      (error: unknown) => {
        logger.error('mcp request failed before dispatch', { error });
        jsonRpcError(res, 500, -32603, 'Internal error');
      },
    );
  };
  const dispatch = (req: IncomingMessage, res: ServerResponse) => {
    // Anything but a JSON POST (GET, DELETE, a wrong content type) goes to the SDK as it came.
    if (req.method !== 'POST' || !isJsonContentType(req.headers['content-type'] ?? null)) {
      forward(req, res);
      return;
    }
    readBody(req, DEFAULT_MAX_REQUEST_BODY_SIZE).then(
      (body) => {
        if (body === undefined) {
          jsonRpcError(
            res,
            413,
            -32000,
            `Payload Too Large: Request body must not exceed ${DEFAULT_MAX_REQUEST_BODY_SIZE} bytes`,
          );
          dropAfterReply(req, res);
          return;
        }
        let parsed: unknown;
        try {
          parsed = body.length === 0 ? undefined : JSON.parse(body.toString('utf8'));
        } catch {
          jsonRpcError(res, 400, -32700, 'Parse error: the request body is not valid JSON');
          return;
        }
        if (nestsDeeperThan(parsed, MAX_JSON_DEPTH)) {
          jsonRpcError(res, 400, -32600, `Invalid Request: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
          return;
        }
        const authInfo = (req as IncomingMessage & { auth?: AuthInfo }).auth;
        const stepUp = authInfo && auth?.stepUp?.(authInfo, parsed);
        if (stepUp) {
          void auth!.gate.insufficientScope(stepUp.scopes, stepUp.description).then((a) => answer(res, a));
          return;
        }
        forward(req, res, parsed);
      },
      () => res.destroy(),
    );
  };
  return { serve, close: () => handler.close() };
}

/** Admits a request to `/mcp` (or the legacy SSE endpoints): true, or false once it was answered. */
export type Admit = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/**
 * The edge's checks that need no response object, shared by HTTP requests and WebSocket upgrades:
 * Host and Origin (DNS rebinding), then authentication and the caller's rate limit.
 */
export interface EdgeChecks {
  /** The answer refusing this request's Host or Origin, or undefined. */
  host(req: IncomingMessage): HttpAnswer | undefined;
  /** The authenticated caller's AuthInfo (undefined without --auth), or the answer refusing it. */
  caller(req: IncomingMessage): Promise<{ authInfo?: AuthInfo } | { refused: HttpAnswer }>;
}

export function edgeChecks(own: OwnOrigin, auth: EdgeAuth | undefined, logger: Logger): EdgeChecks {
  return {
    host(req) {
      const refused = own.refusal(req.headers.host, req.headers.origin, {
        forwardedHost: req.headers['x-forwarded-host'],
        allowOthers: true,
      });
      if (!refused) return undefined;
      logger.warn('rejected MCP request (DNS rebinding guard)', {
        host: req.headers.host,
        origin: req.headers.origin,
      });
      return rpcAnswer(403, refused);
    },
    async caller(req) {
      if (!auth) return {};
      const outcome = await auth.gate.authenticate(req.headers.authorization, req.url ?? '');
      if ('refused' in outcome) {
        logger.info('refused MCP request (authentication)', { status: outcome.refused.status });
        return outcome;
      }
      const wait = await auth.rateLimit?.take(outcome.caller.id);
      if (wait) {
        logger.warn('rate limited', { caller: outcome.caller.id });
        return {
          refused: rpcAnswer(
            429,
            `Too many requests: this caller may make ${auth.rateLimit!.perMinute} a minute. Retry after ${wait.retryAfterSeconds} s.`,
            { 'retry-after': String(wait.retryAfterSeconds) },
          ),
        };
      }
      return { authInfo: outcome.authInfo };
    },
  };
}

/** The edge's checks, with CORS for allowed browser origins between them (a preflight is answered here). */
export function admission(own: OwnOrigin, checks: EdgeChecks): Admit {
  const allowCors = cors({
    origin: own.browserOrigins(),
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: [
      'authorization',
      'content-type',
      'accept',
      'last-event-id',
      'mcp-protocol-version',
      'mcp-session-id',
      'mcp-method',
      'mcp-name',
    ],
    exposedHeaders: ['mcp-session-id', 'mcp-protocol-version', 'www-authenticate'],
    maxAge: 600,
  });
  const refuse = (req: IncomingMessage, res: ServerResponse, a: HttpAnswer) => {
    answer(res, a);
    req.resume();
    return false;
  };
  return async (req, res) => {
    const badHost = checks.host(req);
    if (badHost) return refuse(req, res, badHost);
    if (req.headers.origin !== undefined) {
      const preflight = await new Promise<boolean>((resolve) => {
        res.once('finish', () => resolve(true));
        allowCors(req, res, () => resolve(false));
      });
      if (preflight) return false;
    }
    const outcome = await checks.caller(req);
    if ('refused' in outcome) return refuse(req, res, outcome.refused);
    if (outcome.authInfo) (req as IncomingMessage & { auth?: AuthInfo }).auth = outcome.authInfo;
    return true;
  };
}

/**
 * The request body, or undefined as soon as it is known to exceed maxBytes (from Content-Length or
 * while streaming); past the limit nothing more is kept, and the caller answers 413 and drops the
 * connection. Shared by `/mcp` and `/webhooks/stripe`.
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > maxBytes) {
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size > maxBytes) return;
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else resolve(undefined);
    });
    req.on('end', () => {
      if (size <= maxBytes) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', reject);
  });
}

/** What an over-limit sender may still push after its 413 before the connection is cut. */
const DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * After a 413: let the answer reach the client, reading (and discarding) what it is still sending, then
 * close. Destroying the socket at once made most clients see a connection reset instead of the 413.
 */
function dropAfterReply(req: IncomingMessage, res: ServerResponse): void {
  let drained = 0;
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_BYTES) req.destroy();
  });
  req.resume();
  res.once('finish', () => {
    if (req.complete) return;
    // Give a sender still mid-body a moment to read the answer, then cut it off.
    setTimeout(() => req.destroy(), 2_000).unref();
  });
}

function answer(res: ServerResponse, a: HttpAnswer): void {
  if (res.headersSent) return;
  res.writeHead(a.status, a.headers);
  res.end(a.body);
}

/** A JSON-RPC error answer with no id, as the edge refuses a request before it reaches the SDK. */
function rpcAnswer(status: number, message: string, headers: Record<string, string> = {}): HttpAnswer {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }),
  };
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'content-type': 'application/json',
    ...(status === 413 ? { connection: 'close' } : {}),
  });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/**
 * `POST /webhooks/stripe`, served straight from node:http: the exact raw bytes go to verification
 * without web-stream conversion (this path is hot: Stripe sends bursts); over 1 MiB is refused.
 */
function handleWebhook(req: IncomingMessage, res: ServerResponse, deps: WebhookDeps): void {
  const reply = (status: number, body: Record<string, unknown>, close = false) => {
    res.writeHead(status, { 'content-type': 'application/json', ...(close ? { connection: 'close' } : {}) });
    res.end(JSON.stringify(body));
  };
  if (deps.secrets.length === 0) {
    reply(503, { error: 'webhooks are not configured on this server (set STRIPE_WEBHOOK_SECRET)' });
    req.resume();
    return;
  }
  readBody(req, MAX_WEBHOOK_BYTES).then(
    (body) => {
      if (body === undefined) {
        reply(413, { error: `body larger than ${MAX_WEBHOOK_BYTES} bytes` }, true);
        dropAfterReply(req, res);
        return;
      }
      const signature = req.headers['stripe-signature'];
      receiveWebhook(body, Array.isArray(signature) ? signature[0] : signature, deps).then(
        (answer) => reply(answer.status, answer.body),
        () => reply(500, { error: 'internal error' }),
      );
    },
    () => res.destroy(),
  );
}
