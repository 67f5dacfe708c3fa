// A server and an MCP client in this process, linked in memory, on a given Stripe client: what the
// bench sections that time the runner itself (no transport) drive.
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { localCaller } from '../src/auth/caller.js';
import { composeServer, type ServerSettings } from '../src/compose.js';
import { silentLogger } from '../src/log.js';
import { createMemoryStore } from '../src/storage/memory/index.js';
import type { Store } from '../src/storage/ports.js';
import type { StripeClient } from '../src/stripe/client.js';

export async function inProcessClient(
  settings: ServerSettings,
  stripe: StripeClient,
  store: Store = createMemoryStore(),
): Promise<Client> {
  const server = composeServer(settings, {
    stripe: () => Promise.resolve(stripe),
    store,
    logger: silentLogger,
    mode: 'sandbox',
  }).factory(localCaller('stdio'));
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(b);
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(a);
  return client;
}
