import { request } from 'node:http';
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
    expect((await post({ origin: 'http://localhost:5173' })).status).toBe(200);
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
    expect(await res.json()).toMatchObject({ endpoints: ['/mcp', '/healthz'] });
  });
});
