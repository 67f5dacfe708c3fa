// Two server instances on one store, behind a load balancer that alternates between them: a
// confirmation a client was asked by one instance is answered on the other, once (the key that signs
// the multi-round-trip state is the store's, not the process's).
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import type { Store } from '../src/storage/ports.js';
import { createSqliteStore } from '../src/storage/sqlite/index.js';
import { callTool, startHttpStack, type HttpStack } from './helpers.js';

let sandbox: RunningSandbox;
let store: Store;
const stacks: HttpStack[] = [];
let balancer: Server;
let served: string[] = [];

beforeAll(async () => {
  sandbox = await startSandbox();
  store = createSqliteStore(join(mkdtempSync(join(tmpdir(), 'mcp-stripe-shared-')), 'store.db'));
  for (const name of ['a', 'b'])
    stacks.push(
      await startHttpStack({
        flags: { apiKey: `sk_test_sharedstate0000${name}`, confirm: 'money', confirmChannel: 'both' },
        env: { STRIPE_API_BASE: sandbox.url, MCP_STRIPE_APPROVAL_WAIT: '0' },
        store,
      }),
    );
  // Round robin, request by request, as a load balancer without sticky sessions does.
  let next = 0;
  balancer = createServer((req, res) => {
    const i = next++ % stacks.length;
    served.push('ab'[i]!);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length'),
      ) as Record<string, string>;
      fetch(`${stacks[i]!.http.url}`, {
        method: req.method,
        headers,
        ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
      }).then(
        async (upstream) => {
          res.writeHead(upstream.status, Object.fromEntries(upstream.headers));
          res.end(Buffer.from(await upstream.arrayBuffer()));
        },
        () => res.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((r) => balancer.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  await new Promise((r) => balancer?.close(r));
  for (const s of stacks) await s.close();
  await store?.close();
  await sandbox?.close();
});

describe('two instances, one store', () => {
  it('a confirmation asked by one instance is answered on the other, and the user is asked once', async () => {
    let asked = 0;
    const client = new Client(
      { name: 'agent', version: '1.0.0' },
      { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    client.setRequestHandler('elicitation/create', () => {
      asked++;
      return { action: 'accept', content: { approve: true } };
    });
    const url = `http://127.0.0.1:${(balancer.address() as AddressInfo).port}/mcp`;
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    served = [];
    const r = await callTool(client, 'create_payment_intent', {
      amount: 2100,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    expect(r.isError, r.text).toBe(false);
    expect(r.data.status).toBe('succeeded');
    // The question came from one instance, the answer went to the other.
    expect(served.slice(0, 2).sort()).toEqual(['a', 'b']);
    expect(asked).toBe(1);
    await client.close();
  });
});
