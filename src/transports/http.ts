import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import {
  createMcpHandler,
  DEFAULT_MAX_REQUEST_BODY_SIZE,
  isJsonContentType,
  type McpServer,
} from '@modelcontextprotocol/server';
import { Hono } from 'hono';
import { mountConsole, type ConsoleDeps } from '../console/app.js';
import type { Logger } from '../log.js';
import { closeAll } from '../util/close-all.js';
import { PRODUCT_NAME, VERSION } from '../version.js';
import { MAX_WEBHOOK_BYTES, receiveWebhook, type WebhookDeps } from '../webhooks/receiver.js';
import { MAX_JSON_DEPTH, nestsDeeperThan, OwnOrigin } from './origin.js';

export interface HttpOptions {
  /** Serves MCP at `/mcp` when given (a webhook-only listener has none). */
  factory?: () => McpServer;
  /** Receives Stripe webhooks at `POST /webhooks/stripe` when given. */
  webhooks?: WebhookDeps;
  logger: Logger;
  /** Serves the operator console at `/console` when given. */
  console?: ConsoleDeps;
  /** What `/healthz` reports as the Stripe mode. */
  mode: 'sandbox' | 'test' | 'live';
}

/**
 * The HTTP surface besides MCP: `GET /healthz`, the operator console, and a 404 that lists the
 * endpoints. `/mcp` and `/webhooks/stripe` are served straight from node:http (see startHttp).
 */
export function createHttpApp(opts: HttpOptions, own = new OwnOrigin()): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok', name: PRODUCT_NAME, version: VERSION, mode: opts.mode }));
  if (opts.console) mountConsole(app, opts.console, own);
  const endpoints = [
    ...(opts.factory ? ['/mcp'] : []),
    '/healthz',
    ...(opts.console ? ['/console'] : []),
    ...(opts.webhooks ? ['/webhooks/stripe'] : []),
  ];
  app.notFound((c) => c.json({ error: 'not found', endpoints }, 404));
  app.onError((err, c) => {
    opts.logger.error('http handler error', { error: err });
    return c.json({ error: 'internal error' }, 500);
  });
  return app;
}

export interface RunningHttp {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startHttp(opts: HttpOptions & { host: string; port: number }): Promise<RunningHttp> {
  const own = new OwnOrigin();
  const app = createHttpApp(opts, own);
  const honoListener = getRequestListener((req, env) => app.fetch(req, env), {
    hostname: opts.host,
    overrideGlobalObjects: false,
  });
  const mcp = opts.factory ? mcpListener(opts.factory, opts.logger, own) : undefined;
  const webhooks = opts.webhooks;
  const server = createServer((req, res) => {
    const path = req.url?.split('?')[0];
    if (path === '/mcp' && mcp) mcp.serve(req, res);
    else if (webhooks && req.method === 'POST' && path === '/webhooks/stripe')
      handleWebhook(req, res, webhooks);
    else void honoListener(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  own.listen(opts.host, port);
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}/mcp`,
    port,
    close: () =>
      closeAll([
        () => mcp?.close(),
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
  factory: () => McpServer,
  logger: Logger,
  own: OwnOrigin,
): { serve(req: IncomingMessage, res: ServerResponse): void; close(): Promise<void> } {
  const handler = createMcpHandler(factory, {
    onerror: (error) => logger.warn('mcp request rejected or failed', { error: error.message }),
  });
  const toNode = toNodeHandler(handler, {
    onerror: (error) => logger.error('mcp request failed', { error }),
  });
  const forward = (req: IncomingMessage, res: ServerResponse, parsed?: unknown) => {
    void toNode(req, res, parsed);
  };
  const serve = (req: IncomingMessage, res: ServerResponse) => {
    const refused = own.refusal(req.headers.host, req.headers.origin);
    if (refused) {
      logger.warn('rejected /mcp request (DNS rebinding guard)', {
        host: req.headers.host,
        origin: req.headers.origin,
      });
      jsonRpcError(res, 403, -32000, refused);
      req.resume();
      return;
    }
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
        forward(req, res, parsed);
      },
      () => res.destroy(),
    );
  };
  return { serve, close: () => handler.close() };
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
