/* global process, performance */
// `npm run bench`'s anchor for charging: @stripe/agent-toolkit 0.9.0's `registerPaidTool`, as its README
// shows it, against the sandbox. The parent counts the sandbox's requests around each phase: it starts
// the unpaid calls, the person pays, then the paid calls. Protocol on stdin/stdout, one line each.
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerPaidTool } from '@stripe/agent-toolkit/modelcontextprotocol';
import { z } from 'zod';

const { PRICE, CALLS } = process.env;
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const next = async () => JSON.parse((await lines.next()).value);

const server = new McpServer({ name: 'anchor', version: '1.0.0' });
await registerPaidTool(
  server,
  'lookup',
  'A paid lookup.',
  { q: z.string() },
  async ({ q }) => ({ content: [{ type: 'text', text: `result for ${q}` }] }),
  {
    paymentReason: 'Lookups are a paid feature.',
    stripeSecretKey: process.env.STRIPE_SECRET_KEY,
    userEmail: 'anchor-user@example.com',
    checkout: {
      success_url: 'http://127.0.0.1:9/success',
      line_items: [{ price: PRICE, quantity: 1 }],
      mode: 'subscription',
    },
  },
);
const [a, b] = InMemoryTransport.createLinkedPair();
await server.connect(b);
const client = new Client({ name: 'bench', version: '1' });
await client.connect(a);
const call = () => client.callTool({ name: 'lookup', arguments: { q: 'x' } });
const n = Number(CALLS);

await next(); // unpaid phase
let checkoutUrl;
for (let i = 0; i < n; i++) checkoutUrl = JSON.parse((await call()).content[0].text).data.checkoutUrl;
say({ checkoutUrl });
await next(); // the person has paid: the paid phase
const times = [];
for (let i = 0; i < n; i++) {
  const t0 = performance.now();
  const r = await call();
  times.push(performance.now() - t0);
  if (!r.content[0].text.startsWith('result for')) throw new Error(`not paid: ${r.content[0].text}`);
}
say({ times });
await client.close();
process.exit(0);
