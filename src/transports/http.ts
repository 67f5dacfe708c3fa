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
import { PRODUCT_NAME, VERSION } from '../version.js';

export interface HttpOptions {
  factory: () => McpServer;
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
  const handler = createMcpHandler(opts.factory, {
    onerror: (error) => opts.logger.warn('mcp request rejected or failed', { error: error.message }),
  });
  const hostnames = localhostAllowedHostnames();
  const origins = localhostAllowedOrigins();
  const app = new Hono();

  app.get('/healthz', (c) => c.json({ status: 'ok', name: PRODUCT_NAME, version: VERSION, mode: opts.mode }));
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
  app.notFound((c) => c.json({ error: 'not found', endpoints: ['/mcp', '/healthz'] }, 404));
  app.onError((err, c) => {
    opts.logger.error('http handler error', { error: err });
    return c.json({ error: 'internal error' }, 500);
  });
  return { app, close: () => handler.close() };
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
