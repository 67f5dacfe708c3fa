// The metering outbox across a crash: the built CLI serves paid calls on a plan with overage while Stripe
// refuses meter events (and loses the answer to one it stored); the process is killed with SIGKILL and
// started again on the same data directory. Afterwards every successful overage call is metered once.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Plans } from '../src/billing/plans.js';
import { syncPlans } from '../src/billing/sync.js';
import { loadPlansFile } from '../src/config/plans.js';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import { createSqliteStore } from '../src/storage/sqlite/index.js';
import { announcedUrl, callTool, cleanEnv, CLI, TEST_KEY, sandboxStripe } from './helpers.js';

const PLANS = {
  product: 'Restart Tools',
  plans: {
    metered: {
      price: { amount: 1900, currency: 'usd', interval: 'month' },
      quotas: { calls_per_day: 1 },
      overage: { meter: 'restart_calls', unit_amount_decimal: '1' },
    },
  },
  tools: { '*': { plans: ['metered'] } },
};

let sandbox: RunningSandbox;
let dir: string;
let plansPath: string;
const children: ReturnType<typeof spawn>[] = [];

beforeAll(async () => {
  sandbox = await startSandbox();
  dir = mkdtempSync(join(tmpdir(), 'mcp-stripe-restart-'));
  plansPath = join(dir, 'plans.json');
  writeFileSync(plansPath, JSON.stringify(PLANS));
  const stripe = await sandboxStripe(sandbox);
  const loaded = loadPlansFile(plansPath);
  if ('problems' in loaded) throw new Error(loaded.problems.join('\n'));
  await syncPlans(stripe, new Plans(loaded.plans), { dryRun: false });
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await sandbox?.close();
});

const env = () => ({ ...cleanEnv(), STRIPE_SECRET_KEY: TEST_KEY, STRIPE_API_BASE: sandbox.url });
const cli = (...args: string[]) =>
  new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [CLI, ...args], { env: env() }, (err, stdout, stderr) =>
      err ? reject(new Error(stderr)) : resolve(stdout),
    ),
  );

async function startServer(): Promise<{ url: string; child: ReturnType<typeof spawn> }> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      '--transport=http',
      '--port=0',
      `--plans=${plansPath}`,
      '--auth=api-key',
      '--rate-limit=0',
      '--tools=all',
      `--data-dir=${dir}`,
    ],
    { env: env(), stdio: ['ignore', 'ignore', 'pipe'] },
  );
  children.push(child);
  return { url: await announcedUrl(child), child };
}

describe('metering across a crash', () => {
  it('SIGKILL with usage not yet reported: after a restart each successful call is metered exactly once', async () => {
    const key = (
      await cli('keys', 'create', '--name=kim', '--scopes=stripe:read', `--data-dir=${dir}`)
    ).trim();
    let { url, child } = await startServer();
    const connect = async (at: string) => {
      const c = new Client({ name: 'kim', version: '1.0.0' });
      await c.connect(
        new StreamableHTTPClientTransport(new URL(at), {
          requestInit: { headers: { authorization: `Bearer ${key}` } },
        }),
      );
      return c;
    };
    let agent = await connect(url);
    // Subscribe through the hosted Checkout page; the success page makes it effective at once.
    const up = await callTool(agent, 'upgrade_plan', { plan: 'metered' });
    const checkout = (await fetch(up.data.url, { redirect: 'manual' })).headers.get('location')!;
    const paid = await fetch(checkout, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'card=visa',
    });
    await fetch(paid.headers.get('location')!);

    // Stripe stores the first report but its answer is lost; then it refuses every report for a while.
    sandbox.state.faults.push({
      kind: 'drop_after_commit',
      method: 'POST',
      path: '/v1/billing/meter_events',
    });
    sandbox.state.faults.push({
      kind: 'status',
      status: 503,
      times: 10_000,
      method: 'POST',
      path: '/v1/billing/meter_events',
    });
    for (let i = 0; i < 6; i++) {
      const r = await callTool(agent, 'get_stripe_account_info');
      expect(r.isError, r.text).toBe(false);
    }
    await agent.close();
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    // The usage waits in the data directory.
    const store = createSqliteStore(join(dir, 'mcp-stripe.db'));
    try {
      expect(await store.billing.meterBacklog()).toBeGreaterThan(0);
    } finally {
      await store.close();
    }

    sandbox.state.faults.clear();
    ({ url, child } = await startServer());
    agent = await connect(url);
    const customer = sandbox.state.platform.all('customer').find((c) => c.metadata?.user_id === 'key:kim')!;
    // Until the restarted server has sent the backlog (its drain retries with backoff; no deadline here).
    for (;;) {
      const check = createSqliteStore(join(dir, 'mcp-stripe.db'));
      const backlog = await check.billing.meterBacklog();
      await check.close();
      if (backlog === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const events = sandbox.state.platform
      .all('billing.meter_event')
      .filter((e) => e.customer === customer.id);
    // 6 successful calls, 1 within the quota: 5 metered, each once (the lost answer was not billed twice).
    expect(events).toHaveLength(5);
    expect(new Set(events.map((e) => e.identifier)).size).toBe(5);
    await agent.close();
  }, 120_000);

  it('billing reconcile stores what Stripe has, for subscriptions the webhooks never brought', async () => {
    const stripe = await sandboxStripe(sandbox);
    const customer = await stripe.customers.create({ metadata: { user_id: 'key:zed' } });
    await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const price = (await stripe.prices.list({ lookup_keys: ['restart-tools:metered'] })).data[0]!;
    await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: (await stripe.paymentMethods.list({ customer: customer.id })).data[0]!.id,
      metadata: { user_id: 'key:zed', plan: 'metered' },
    });
    const out = JSON.parse(
      await cli('billing', 'reconcile', `--plans=${plansPath}`, `--data-dir=${dir}`),
    ) as {
      read: number;
      stored: number;
    };
    expect(out.read).toBeGreaterThanOrEqual(1);
    expect(out.stored).toBeGreaterThanOrEqual(1);
    const store = createSqliteStore(join(dir, 'mcp-stripe.db'));
    try {
      expect(await store.billing.subscriptionsOf('test', 'key:zed')).toEqual([
        expect.objectContaining({ status: 'active', plan: 'metered', customer: customer.id }),
      ]);
    } finally {
      await store.close();
    }
  });
});
