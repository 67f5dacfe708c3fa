// Older clients, behind the same edge as `/mcp` (Host/Origin, authentication, rate limit) and the same
// server builder: the 2024-11-05 HTTP+SSE transport (`GET /sse` + `POST /messages`, through the MCP
// SDK's own SSEServerTransport, which the v2 SDK no longer ships) and JSON-RPC over WebSocket at `/ws`.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import {
  parseJSONRPCMessage,
  type AuthInfo,
  type JSONRPCMessage,
  type McpServer,
  type Server,
  type Transport,
} from '@modelcontextprotocol/server';
import { WebSocketServer, type WebSocket } from 'ws';
import { callerOf, localCaller, type Caller } from '../auth/caller.js';
import type { EdgeAuth, HttpAnswer } from '../auth/gate.js';
import type { Logger } from '../log.js';
import type { ServerFactory } from '../server/build-server.js';
import { closeAll } from '../util/close-all.js';
import type { Admit, EdgeChecks } from './http.js';

const MAX_SESSIONS = 1_000;

interface Session {
  transport: SSEServerTransport;
  server: McpServer | Server;
  caller: Caller;
}

const authOf = (req: IncomingMessage) => (req as IncomingMessage & { auth?: AuthInfo }).auth;

export interface Legacy {
  /** `GET /sse`: opens a session's event stream; its first event names the session's `/messages` URL. */
  sse(req: IncomingMessage, res: ServerResponse): void;
  /** `POST /messages?sessionId=…`: one JSON-RPC message for that session (from the caller that opened it). */
  messages(req: IncomingMessage, res: ServerResponse): void;
  /** An HTTP upgrade to `/ws`. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): Promise<void>;
}

export function legacyTransports(deps: {
  factory: ServerFactory;
  admit: Admit;
  checks: EdgeChecks;
  auth: EdgeAuth | undefined;
  logger: Logger;
}): Legacy {
  const { factory, admit, logger } = deps;
  const sessions = new Map<string, Session>();
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  const failed = (what: string) => (error: unknown) => logger.error(`${what} failed`, { error });

  return {
    sse(req, res) {
      void admit(req, res).then(async (admitted) => {
        if (!admitted) return;
        // Each session holds a server and an open response: a bound on them bounds the memory they take.
        if (sessions.size >= MAX_SESSIONS)
          return plain(
            res,
            503,
            `Too many open SSE sessions (${MAX_SESSIONS}): use Streamable HTTP at /mcp.`,
          );
        const caller = callerOf(authOf(req)) ?? localCaller('http');
        const transport = new SSEServerTransport('/messages', res);
        const server = factory(caller);
        sessions.set(transport.sessionId, { transport, server, caller });
        transport.onclose = () => sessions.delete(transport.sessionId);
        await server.connect(transport);
      }, failed('SSE session'));
    },

    messages(req, res) {
      void admit(req, res).then(async (admitted) => {
        if (!admitted) return;
        const id = new URL(req.url ?? '/', 'http://x').searchParams.get('sessionId') ?? '';
        const session = sessions.get(id);
        const caller = callerOf(authOf(req)) ?? localCaller('http');
        if (!session) return plain(res, 404, 'Unknown sessionId: open GET /sse first.');
        // A session belongs to the caller that opened it: another caller's messages never reach it.
        if (session.caller.id !== caller.id)
          return plain(res, 403, 'This session belongs to another caller.');
        await session.transport.handlePostMessage(req, res);
      }, failed('SSE message'));
    },

    upgrade(req, socket, head) {
      void authenticateUpgrade(req, deps.checks).then(
        (outcome) => {
          if ('refused' in outcome) return refuseUpgrade(socket, outcome.refused);
          wss.handleUpgrade(req, socket, head, (ws) => {
            sockets.add(ws);
            ws.once('close', () => sockets.delete(ws));
            const transport = new WebSocketTransport(ws, outcome.caller, deps.auth);
            factory(outcome.caller).connect(transport).catch(failed('WebSocket session'));
          });
        },
        (error: unknown) => {
          failed('WebSocket upgrade')(error);
          refuseUpgrade(socket, { status: 500, headers: {}, body: '' });
        },
      );
    },

    close: () =>
      closeAll([
        ...[...sessions.values()].map((s) => () => s.server.close()),
        ...[...sockets].map((ws) => () => Promise.resolve(ws.terminate())),
        () => new Promise<void>((resolve) => wss.close(() => resolve())),
      ]),
  };
}

/** The upgrade request passes the same Host/Origin check, authentication and rate limit as `/mcp`. */
async function authenticateUpgrade(
  req: IncomingMessage,
  checks: EdgeChecks,
): Promise<{ caller: Caller } | { refused: HttpAnswer }> {
  const badHost = checks.host(req);
  if (badHost) return { refused: badHost };
  const outcome = await checks.caller(req);
  if ('refused' in outcome) return outcome;
  return { caller: callerOf(outcome.authInfo) ?? localCaller('ws') };
}

function refuseUpgrade(socket: Duplex, a: HttpAnswer): void {
  const headers = { ...a.headers, 'content-length': String(Buffer.byteLength(a.body)), connection: 'close' };
  socket.end(
    `HTTP/1.1 ${a.status} ${STATUS_CODES[a.status] ?? ''}\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\r\n')}\r\n\r\n${a.body}`,
  );
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
}

/** JSON-RPC messages as WebSocket text frames (the framing is the `ws` library's). */
class WebSocketTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  constructor(
    private readonly ws: WebSocket,
    private readonly caller: Caller,
    private readonly auth: EdgeAuth | undefined,
  ) {}

  start(): Promise<void> {
    this.ws.on('message', (data, isBinary) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      void this.receive(isBinary ? undefined : bytes.toString('utf8'));
    });
    this.ws.on('close', () => this.onclose?.());
    this.ws.on('error', (error) => this.onerror?.(error));
    return Promise.resolve();
  }

  private async receive(text: string | undefined): Promise<void> {
    let message: JSONRPCMessage;
    try {
      message = parseJSONRPCMessage(JSON.parse(text ?? ''));
    } catch {
      this.ws.send(
        JSON.stringify({
          jsonrpc: '2.0',
          id: null,
          error: { code: -32700, message: 'Parse error: send one JSON-RPC message per text frame' },
        }),
      );
      return;
    }
    // The caller's rate limit counts every request on the socket, as it counts every POST to /mcp.
    const wait =
      'id' in message && 'method' in message ? await this.auth?.rateLimit?.take(this.caller.id) : null;
    if (wait && 'id' in message) {
      this.ws.send(
        JSON.stringify({
          jsonrpc: '2.0',
          id: message.id,
          error: { code: -32000, message: `Too many requests: retry after ${wait.retryAfterSeconds} s.` },
        }),
      );
      return;
    }
    this.onmessage?.(message);
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) =>
      this.ws.send(JSON.stringify(message), (err) => (err ? reject(err) : resolve())),
    );
  }

  close(): Promise<void> {
    this.ws.close();
    return Promise.resolve();
  }
}
