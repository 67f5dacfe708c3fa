// Three server processes (the built CLI) on one Postgres, started at the same moment (they migrate
// once), one Stripe (the sandbox). A client spreads money-moving calls across them; webhooks go to
// random instances, some twice; one instance is killed with SIGKILL mid-load and started again.
// Afterwards: the daily limit was never exceeded, and no acknowledged event was lost or stored twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import pg from 'pg';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import { announcedUrl, callTool, cleanEnv, CLI, sandboxStripe } from './helpers.js';
import { DATABASE_URL, dropSchemas, freshSchema, NO_POSTGRES } from './postgres.js';

// Built, as in events.test.ts, so no tracked line looks like a real secret.
const SECRET = `whsec_${'multi'}instance000000000000`;
const LIMIT = 10_000;
let sandbox: RunningSandbox;
let stripe: Stripe;
let schema: string;
let url: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  if (!DATABASE_URL) return;
  sandbox = await startSandbox();
  stripe = await sandboxStripe(sandbox);
  schema = freshSchema();
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  const u = new URL(DATABASE_URL);
  u.searchParams.set('options', `-c search_path=${schema}`);
  url = u.toString();
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await sandbox?.close();
  await dropSchemas();
});

/** One instance: its MCP URL and origin once it listens. */
async function instance() {
  const child = spawn(
    process.execPath,
    [
      CLI,
      '--transport=http',
      '--port=0',
      '--api-key=sk_test_multiinstance00001',
      `--daily-limit=usd:${LIMIT}`,
      '--tools=all',
      `--database-url=${url}`,
    ],
    {
      env: { ...cleanEnv(), STRIPE_API_BASE: sandbox.url, STRIPE_WEBHOOK_SECRET: SECRET },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  children.add(child);
  child.once('exit', () => children.delete(child));
  const mcp = await announcedUrl(child);
  return { child, mcp, origin: new URL(mcp).origin };
}

async function connect(mcp: string) {
  const client = new Client({ name: 'spread', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcp)));
  return client;
}

const event = (i: number) =>
  JSON.stringify({
    id: `evt_multi_${i}`,
    object: 'event',
    type: 'customer.updated',
    created: Math.floor(Date.now() / 1000) - 60,
    livemode: false,
    data: { object: { id: `cus_multi_${i % 17}`, object: 'customer' } },
  });

describe.skipIf(!DATABASE_URL)('three instances on one Postgres', () => {
  it('the daily limit holds across them, and no acknowledged webhook is lost or doubled through a SIGKILL', async () => {
    const instances = await Promise.all([instance(), instance(), instance()]);
    const clients = await Promise.all(instances.map((i) => connect(i.mcp)));

    // 30 payments of 1,000 against a daily limit of 10,000, spread over the three, all at once.
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        callTool(clients[i % 3]!, 'create_payment_intent', {
          amount: 1_000,
          currency: 'usd',
          payment_method: 'pm_card_visa',
          confirm: true,
          // Distinct calls: the same arguments would be one idempotent call.
          description: `order ${i}`,
        }),
      ),
    );
    const paid = sandbox.state.platform.all('payment_intent').filter((p) => p.status === 'succeeded');
    expect(paid.length).toBe(10);
    expect(results.filter((r) => !r.isError)).toHaveLength(10);
    expect(results.filter((r) => r.isError).every((r) => /daily limit/i.test(r.text))).toBe(true);
    await Promise.all(clients.map((c) => c.close()));

    // 300 deliveries of 200 events (100 twice), to random instances; the second is killed after 100.
    const deliveries = Array.from({ length: 300 }, (_, i) => i % 200);
    const acknowledged = new Set<string>();
    let delivered = 0;
    let targets = instances.map((i) => i.origin);
    const deliver = async (i: number) => {
      const payload = event(i);
      for (;;) {
        const origin = targets[Math.floor(Math.random() * targets.length)]!;
        const res = await fetch(`${origin}/webhooks/stripe`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
          },
          body: payload,
        }).catch(() => undefined);
        // As Stripe does: no 2xx (or no answer) is delivered again, to another instance.
        if (res?.ok) {
          acknowledged.add(`evt_multi_${i}`);
          return;
        }
      }
    };
    const queue = [...deliveries];
    const worker = async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        await deliver(i);
        if (++delivered === 100) {
          const victim = instances[1];
          targets = targets.filter((t) => t !== victim.origin);
          victim.child.kill('SIGKILL');
          const restarted = await instance();
          targets.push(restarted.origin);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(acknowledged.size).toBe(200);

    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const { rows } = await db.query<{ id: string }>("SELECT id FROM events WHERE id LIKE 'evt_multi_%'");
      const stored = new Set(rows.map((r) => r.id));
      expect(rows.length).toBe(stored.size);
      for (const id of acknowledged) expect(stored.has(id)).toBe(true);
      const migrations = await db.query<{ n: string }>('SELECT COUNT(*) AS n FROM mcp_stripe_migrations');
      expect(Number(migrations.rows[0]!.n)).toBeGreaterThan(0);
    } finally {
      await db.end();
    }
  });
});

if (!DATABASE_URL) it.skip(NO_POSTGRES, () => {});
