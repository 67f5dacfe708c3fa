import { request } from 'node:http';
import { connect } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { PINNED_API_VERSION } from '../src/stripe/client.js';
import { startHttp, type RunningHttp } from '../src/transports/http.js';
import { callTool } from './helpers.js';

let runtime: Runtime;
let http: RunningHttp;

beforeAll(async () => {
  const config = loadConfig({
    flags: { sandbox: true, transport: 'http', port: '0', tools: 'all' },
    env: {},
    defaultApiVersion: PINNED_API_VERSION,
  });
  runtime = await createRuntime(config, silentLogger);
  http = await startHttp({
    factory: runtime.factory,
    logger: silentLogger,
    mode: runtime.mode,
    host: '127.0.0.1',
    port: 0,
  });
});
afterAll(async () => {
  await http.close();
  await runtime.close();
});

describe('Streamable HTTP transport', () => {
  it('serves MCP at /mcp to a real client: tools, a write, resources, prompts', async () => {
    const client = new Client({ name: 'http-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(http.url)));
    try {
      const tools = (await client.listTools()).tools;
      expect(tools.length).toBe(runtime.tools.length);
      const c = await callTool(client, 'create_customer', { email: 'http@example.com' });
      expect(c.data.id).toMatch(/^cus_/);
      const list = await callTool(client, 'list_customers', { email: 'http@example.com' });
      expect(list.data.data[0].id).toBe(c.data.id);
      const bad = await callTool(client, 'retrieve_customer', { customer: 'cus_nope' });
      expect(bad.isError).toBe(true);
      const acct = await client.readResource({ uri: 'stripe://account' });
      expect(JSON.parse((acct.contents[0] as { text: string }).text)).toMatchObject({ mode: 'sandbox' });
      expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual([
        'take_payment',
        'start_subscription',
        'refund_payment',
      ]);
    } finally {
      await client.close();
    }
  });

  it('GET /healthz', async () => {
    const res = await fetch(http.url.replace('/mcp', '/healthz'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', name: 'mcp-stripe', mode: 'sandbox' });
  });

  const initialize = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  const post = (headers: Record<string, string>) =>
    fetch(http.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: initialize,
    });

  // fetch() never sends a custom Host header (it is a forbidden header), so use node:http.
  const postWithHost = (host: string) =>
    new Promise<number>((resolve, reject) => {
      const u = new URL(http.url);
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          headers: {
            host,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.once('error', reject);
      req.end(initialize);
    });

  it('DNS rebinding: a foreign Host header is refused with 403; localhost is served', async () => {
    expect(await postWithHost('evil.example.com')).toBe(403);
    expect(await postWithHost(`localhost:${http.port}`)).toBe(200);
  });

  it('DNS rebinding: a foreign Origin is refused with 403; a local one is served', async () => {
    expect((await post({ origin: 'https://evil.example.com' })).status).toBe(403);
    // Another loopback page (another port) is not this server.
    expect((await post({ origin: 'http://localhost:1' })).status).toBe(403);
    expect((await post({ origin: 'http://localhost:5173' })).status).toBe(403);
    expect((await post({ origin: `http://localhost:${http.port}` })).status).toBe(200);
    expect((await post({ origin: `http://127.0.0.1:${http.port}` })).status).toBe(200);
  });

  it('an empty Host, or this host on another port, is refused', async () => {
    // node:http fills in an empty Host itself: send the request by hand.
    const raw = await new Promise<string>((resolve, reject) => {
      const sock = connect(http.port, '127.0.0.1', () => {
        sock.end(
          `POST /mcp HTTP/1.1\r\nHost:\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${Buffer.byteLength(initialize)}\r\nConnection: close\r\n\r\n${initialize}`,
        );
      });
      let got = '';
      sock.on('data', (d: Buffer) => (got += d.toString()));
      sock.once('end', () => resolve(got));
      sock.once('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 (400|403)/);
    expect(await postWithHost('localhost:1')).toBe(403);
    expect(await postWithHost(`127.0.0.1:${http.port}`)).toBe(200);
  });

  it('JSON nested 10,000 levels deep is a 400 that says so, and the server keeps serving', async () => {
    const deep = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_customer","arguments":{"metadata":${'['.repeat(10_000)}${']'.repeat(10_000)}}}}`;
    const res = await fetch(http.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: deep,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: -32600, message: /nested deeper than 64/ } });
    expect((await post({})).status).toBe(200);
  });

  it('a body over the limit gets its 413 (not a connection reset) while the client is still sending', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(http.url);
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.once('error', reject);
      // Streamed (no Content-Length), 6 MiB in 64 KiB chunks: the limit is found while reading.
      const chunk = Buffer.alloc(64 * 1024, 32);
      let sent = 0;
      const pump = () => {
        while (sent < 96) {
          sent++;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(413);
  });

  it('a bad body gets a JSON-RPC error that says what is wrong, and the server keeps serving', async () => {
    const send = (body: string | Uint8Array, contentType = 'application/json') =>
      fetch(http.url, {
        method: 'POST',
        headers: { 'content-type': contentType, accept: 'application/json, text/event-stream' },
        body,
      });
    const notJson = await send('{"jsonrpc": "2.0", "id": 1, "method": ');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error: { code: -32700, message: /not valid JSON/ } });

    const tooLarge = await send(new Uint8Array(4 * 1024 * 1024 + 1).fill(32));
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toMatchObject({ error: { message: /must not exceed 4194304 bytes/ } });

    const wrongType = await send(initialize, 'text/plain');
    expect(wrongType.status).toBe(415);

    expect((await post({})).status).toBe(200);
  });

  it('a 2026-07-28 request is answered statelessly as plain JSON', async () => {
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const res = await fetch(http.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'stripe_api_read',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'stripe_api_read', arguments: { path: '/v1/balance' }, _meta: meta },
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as {
      id: number;
      result: { isError?: boolean; content: { text: string }[] };
    };
    expect(body.id).toBe(7);
    expect(body.result.isError).toBeFalsy();
    expect(body.result.content[0]!.text).toContain('"object":"balance"');
  });

  it('unknown paths answer 404 with the endpoints', async () => {
    const res = await fetch(http.url.replace('/mcp', '/nope'));
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      endpoints: ['/mcp', '/sse', '/messages', '/ws', '/healthz', '/readyz'],
    });
  });
});

describe('every 127.0.0.0/8 address', () => {
  it('--host=127.0.0.2 serves MCP to a client that connects to it', async () => {
    const other = await startHttp({
      factory: runtime.factory,
      logger: silentLogger,
      mode: runtime.mode,
      host: '127.0.0.2',
      port: 0,
    });
    const client = new Client({ name: 'loopback-2', version: '1.0.0' });
    try {
      expect(other.url).toMatch(/^http:\/\/127\.0\.0\.2:\d+\/mcp$/);
      await client.connect(new StreamableHTTPClientTransport(new URL(other.url)));
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    } finally {
      await client.close();
      await other.close();
    }
  });
});
