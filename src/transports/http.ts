import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
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
import { bodyLimit } from 'hono/body-limit';
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
  if (opts.webhooks) mountWebhookRoute(app, opts.webhooks);
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
  const server = createAdaptorServer({ fetch: (req, env) => app.fetch(req, env), hostname: opts.host });
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

/** `POST /webhooks/stripe`: the exact raw bytes go to verification; over 1 MiB is refused unread. */
function mountWebhookRoute(app: Hono, deps: WebhookDeps): void {
  app.post(
    '/webhooks/stripe',
    bodyLimit({
      maxSize: MAX_WEBHOOK_BYTES,
      onError: (c) =>
        c.json({ error: `body larger than ${MAX_WEBHOOK_BYTES} bytes` }, 413, { Connection: 'close' }),
    }),
    async (c) => {
      if (deps.secrets.length === 0) {
        return c.json(
          { error: 'webhooks are not configured on this server (set STRIPE_WEBHOOK_SECRET)' },
          503,
        );
      }
      const raw = Buffer.from(await c.req.arrayBuffer());
      const { status, body } = await receiveWebhook(raw, c.req.header('stripe-signature'), deps);
      return c.json(body, status as 200);
    },
  );
}
