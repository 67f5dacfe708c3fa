// Three server processes (the built CLI) on one Postgres, started at the same moment (they migrate
// once), one Stripe (the sandbox). A client spreads money-moving calls across them; webhooks go to
// random instances, some twice; one instance is killed with SIGKILL mid-load and started again.
// Afterwards: the daily limit was never exceeded, and no acknowledged event was lost or stored twice.
// Then an approval: asked on one instance, decided on another's console, honoured once; and a quota
// counted across instances.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import pg from 'pg';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import { pendingIds, signIn } from './console-helpers.js';
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

/** One instance: its MCP URL and origin once it listens, and the console sign-in link it printed. */
async function instance(extra: string[] = []) {
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
      ...extra,
    ],
    {
      // No waiting for an approval: a call that needs one answers at once that it waits.
      env: {
        ...cleanEnv(),
        STRIPE_API_BASE: sandbox.url,
        STRIPE_WEBHOOK_SECRET: SECRET,
        MCP_STRIPE_APPROVAL_WAIT: '0',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  children.add(child);
  child.once('exit', () => children.delete(child));
  let banner = '';
  child.stderr.on('data', (d: Buffer) => (banner += d.toString()));
  const mcp = await announcedUrl(child);
  const signInLink = /(http:\/\/127\.0\.0\.1:\d+\/console\/signin\?token=\S+)/.exec(banner)?.[1];
  if (!signInLink) throw new Error(`no console sign-in link in:\n${banner}`);
  return { child, mcp, origin: new URL(mcp).origin, signInLink };
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

describe.skipIf(!DATABASE_URL)('approvals across instances', () => {
  it('an approval decided on one instance is honoured by another, once', async () => {
    const [a, b] = await Promise.all([instance(['--confirm=money']), instance(['--confirm=money'])]);
    const [agentOnA, agentOnB] = await Promise.all([connect(a.mcp), connect(b.mcp)]);
    const operator = await signIn(b.signInLink);
    // In euros: the daily limit (dollars) is spent by the test above.
    const payment = {
      amount: 2_500,
      currency: 'eur',
      payment_method: 'pm_card_visa',
      confirm: true,
      description: 'approved elsewhere',
    };
    const succeeded = () =>
      sandbox.state.platform
        .all('payment_intent')
        .filter((p) => p.currency === 'eur' && p.status === 'succeeded').length;
    try {
      const asked = await callTool(agentOnA, 'create_payment_intent', payment);
      expect(asked.isError).toBe(true);
      expect(asked.text).toMatch(/approv/i);
      // The operator, on the other instance's console, sees the call A is holding and approves it.
      const [id, ...others] = await pendingIds(operator);
      expect(others).toEqual([]);
      expect((await operator.post(`/console/approvals/${id}/decision`, { decision: 'approve' })).status).toBe(
        303,
      );
      const done = await callTool(agentOnA, 'create_payment_intent', payment);
      expect(done.isError, done.text).toBe(false);
      expect(succeeded()).toBe(1);
      // Used once: the same call again, on B, waits for a new approval.
      const again = await callTool(agentOnB, 'create_payment_intent', payment);
      expect(again.isError).toBe(true);
      expect(succeeded()).toBe(1);
      expect(await pendingIds(operator)).toHaveLength(1);
    } finally {
      await Promise.all([agentOnA.close(), agentOnB.close()]);
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
    }
  });
});

describe.skipIf(!DATABASE_URL)('quotas across instances', () => {
  it('one daily quota of 7 calls, 24 calls spread over two instances at once: exactly 7 run', async () => {
    const plans = join(mkdtempSync(join(tmpdir(), 'mcp-stripe-multi-plans-')), 'plans.json');
    writeFileSync(
      plans,
      JSON.stringify({
        product: 'Multi-instance tools',
        plans: { free: { quotas: { calls_per_day: 7 } } },
        tools: { '*': { plans: ['free'] } },
      }),
    );
    const extra = [`--plans=${plans}`, '--billing-user=quota-user'];
    const [a, b] = await Promise.all([instance(extra), instance(extra)]);
    const agents = await Promise.all([connect(a.mcp), connect(b.mcp)]);
    try {
      const results = await Promise.all(
        Array.from({ length: 24 }, (_, i) => callTool(agents[i % 2]!, 'retrieve_balance')),
      );
      expect(results.filter((r) => !r.isError)).toHaveLength(7);
      const refused = results.filter((r) => r.isError);
      expect(refused.map((r) => (r.result._meta?.['mcp-stripe'] as { error?: string })?.error)).toEqual(
        Array(17).fill('quota_exceeded'),
      );
    } finally {
      await Promise.all(agents.map((c) => c.close()));
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
    }
  });
});

if (!DATABASE_URL) it.skip(NO_POSTGRES, () => {});
