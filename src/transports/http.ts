import type { AddressInfo } from 'node:net';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import {
  createMcpHandler,
  hostHeaderValidationResponse,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  originValidationResponse,
  type McpServer,
} from '@modelcontextprotocol/server';
import { Hono } from 'hono';
import type { Logger } from '../log.js';
import type { ApprovalService } from '../server/approvals.js';
import { mountApprovalPages } from './approval-pages.js';
import { MAX_WEBHOOK_BYTES, receiveWebhook, type WebhookDeps } from '../webhooks/receiver.js';
import { PRODUCT_NAME, VERSION } from '../version.js';

export interface HttpOptions {
  /** Serves MCP at `/mcp` when given (a webhook-only listener has none). */
  factory?: () => McpServer;
  /** Receives Stripe webhooks at `POST /webhooks/stripe` when given. */
  webhooks?: WebhookDeps;
  logger: Logger;
  /** Serves one-time approval pages at `/approvals/:id` when given. */
  approvals?: ApprovalService;
  /** What `/healthz` reports as the Stripe mode. */
  mode: 'sandbox' | 'test' | 'live';
}

/**
 * The HTTP surface: MCP Streamable HTTP at `/mcp` (Host and Origin checked against DNS
 * rebinding), and `GET /healthz`.
 */
export function createHttpApp(opts: HttpOptions): { app: Hono; close(): Promise<void> } {
  const factory = opts.factory;
  const handler =
    factory &&
    createMcpHandler(factory, {
      onerror: (error) => opts.logger.warn('mcp request rejected or failed', { error: error.message }),
    });
  const hostnames = localhostAllowedHostnames();
  const origins = localhostAllowedOrigins();
  const app = new Hono();

  app.get('/healthz', (c) => c.json({ status: 'ok', name: PRODUCT_NAME, version: VERSION, mode: opts.mode }));
  if (handler)
    app.all('/mcp', (c) => {
      const rejected =
        hostHeaderValidationResponse(c.req.raw, hostnames) ?? originValidationResponse(c.req.raw, origins);
      if (rejected) {
        opts.logger.warn('rejected /mcp request (DNS rebinding guard)', {
          host: c.req.header('host'),
          origin: c.req.header('origin'),
        });
        return rejected;
      }
      return handler.fetch(c.req.raw);
    });
  if (opts.approvals) mountApprovalPages(app, opts.approvals);
  const endpoints = [
    ...(handler ? ['/mcp'] : []),
    '/healthz',
    ...(opts.webhooks ? ['/webhooks/stripe'] : []),
  ];
  app.notFound((c) => c.json({ error: 'not found', endpoints }, 404));
  app.onError((err, c) => {
    opts.logger.error('http handler error', { error: err });
    return c.json({ error: 'internal error' }, 500);
  });
  return { app, close: () => handler?.close() ?? Promise.resolve() };
}

export interface RunningHttp {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startHttp(opts: HttpOptions & { host: string; port: number }): Promise<RunningHttp> {
  const http = createHttpApp(opts);
  const app = http.app;
  const honoListener = getRequestListener((req, env) => app.fetch(req, env), { hostname: opts.host });
  const webhooks = opts.webhooks;
  const server = createServer((req, res) => {
    if (webhooks && req.method === 'POST' && req.url?.split('?')[0] === '/webhooks/stripe')
      handleWebhook(req, res, webhooks);
    else void honoListener(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  if (opts.approvals) opts.approvals.baseUrl = `http://${host}:${port}`;
  return {
    url: `http://${host}:${port}/mcp`,
    port,
    close: async () => {
      await http.close();
      await new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
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
  const tooLarge = { error: `body larger than ${MAX_WEBHOOK_BYTES} bytes` };
  if (Number(req.headers['content-length'] ?? 0) > MAX_WEBHOOK_BYTES) {
    reply(413, tooLarge, true);
    req.destroy();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_WEBHOOK_BYTES) {
      if (!res.headersSent) reply(413, tooLarge, true);
      req.destroy();
    } else chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > MAX_WEBHOOK_BYTES) return;
    const signature = req.headers['stripe-signature'];
    receiveWebhook(
      Buffer.concat(chunks, size),
      Array.isArray(signature) ? signature[0] : signature,
      deps,
    ).then(
      ({ status, body }) => reply(status, body),
      () => reply(500, { error: 'internal error' }),
    );
  });
}
