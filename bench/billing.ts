// `npm run bench`, charging for tools: the paywall's decision from the local store; Stripe requests per
// paid call, beside @stripe/agent-toolkit 0.9.0's registerPaidTool counted against the same sandbox in
// the same run; webhook → entitlement effective; the gateway's overhead per call vs the upstream direct.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client, InMemoryTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { BillingEngine } from '../src/billing/engine.js';
import { createBilling } from '../src/billing/library.js';
import { Plans } from '../src/billing/plans.js';
import { syncPlans } from '../src/billing/sync.js';
import { parsePlans } from '../src/config/plans.js';
import { silentLogger } from '../src/log.js';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import { createSqliteStore } from '../src/storage/sqlite/index.js';
import { createStripeClient, lazyStripeClient, PINNED_API_VERSION } from '../src/stripe/client.js';

export interface BenchKit {
  root: string;
  key: string;
  quick: boolean;
  tempDir(prefix: string): string;
  pct(xs: number[], p: number): number;
  round(n: number, d?: number): number;
  serve(
    script: string,
    args: string[],
    env: Record<string, string>,
    announce: RegExp,
  ): Promise<{ url: string; stop(): Promise<void> }>;
}

const PLANS = {
  product: 'Bench Tools',
  plans: {
    free: { quotas: { calls_per_day: 1_000_000_000 } },
    pro: {
      price: { amount: 2900, currency: 'usd', interval: 'month' },
      quotas: { calls_per_month: 1_000_000_000 },
    },
  },
  tools: { '*': { plans: ['free', 'pro'] }, lookup: { plans: ['pro'] } },
};

function plans(): Plans {
  const parsed = parsePlans(PLANS);
  if ('problems' in parsed) throw new Error(parsed.problems.join('\n'));
  return new Plans(parsed.plans);
}

const stats = (kit: BenchKit, xs: number[]) => ({
  p50_ms: kit.round(kit.pct(xs, 50), 3),
  p99_ms: kit.round(kit.pct(xs, 99), 3),
});

/** admit + settle for an entitled user, on SQLite: what every paid call adds before and after the tool. */
async function paywallDecision(kit: BenchKit, sandbox: RunningSandbox) {
  const store = createSqliteStore(join(kit.tempDir('mcp-stripe-bench-paywall-'), 'billing.db'));
  const engine = new BillingEngine({
    plans: plans(),
    store: store.billing,
    settings: store.operators,
    stripe: lazyStripeClient({
      apiKey: kit.key,
      apiVersion: PINNED_API_VERSION,
      timeoutMs: 5000,
      maxNetworkRetries: 0,
      apiBase: sandbox.url,
    }),
    mode: 'test',
    logger: silentLogger,
  });
  await store.billing.putSubscription({
    id: 'sub_bench',
    mode: 'test',
    user: 'bench-user',
    customer: 'cus_bench',
    plan: 'pro',
    status: 'active',
    currentPeriodEnd: Math.floor(Date.now() / 1000) + 86_400,
    cancelAtPeriodEnd: false,
    trialEnd: null,
    asOf: Math.floor(Date.now() / 1000),
  });
  const caller = { id: 'bench-user', kind: 'oauth' as const, scopes: new Set<never>() };
  const n = kit.quick ? 2000 : 20_000;
  const times: number[] = [];
  const requestsBefore = sandbox.state.requestLog.length;
  for (let i = 0; i < n + 500; i++) {
    const t0 = performance.now();
    const admitted = await engine.admit('lookup', caller, `call-${i}`);
    if (!admitted || !('settle' in admitted)) throw new Error('the bench user is not entitled');
    const t1 = performance.now();
    await admitted.settle('ok');
    if (i >= 500) times.push(t1 - t0);
  }
  const requests = sandbox.state.requestLog.length - requestsBefore;
  await store.close();
  return { decisions: n, ...stats(kit, times), stripe_requests: requests };
}

/**
 * The same paid tool through mcp-stripe/billing and through agent-toolkit's registerPaidTool: Stripe
 * requests per unpaid and per paid call, Checkout Sessions created by unpaid calls, and call latency.
 */
async function requestsPerCall(kit: BenchKit, sandbox: RunningSandbox) {
  const n = kit.quick ? 20 : 100;
  const stripe = await createStripeClient({
    apiKey: kit.key,
    apiVersion: PINNED_API_VERSION,
    timeoutMs: 5000,
    maxNetworkRetries: 0,
    apiBase: sandbox.url,
  });
  const synced = await syncPlans(stripe, plans(), { dryRun: false });
  const log = sandbox.state.requestLog;
  const sessions = () => sandbox.state.platform.all('checkout.session').length;
  const pay = async (checkoutUrl: string) => {
    const paid = await fetch(checkoutUrl, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'card=visa',
    });
    if (paid.status !== 303) throw new Error(`the sandbox Checkout page answered ${paid.status}`);
    return paid.headers.get('location')!;
  };

  // mcp-stripe/billing: one local user, the tool sold on `pro`.
  const billing = await createBilling({
    plans: PLANS,
    publicUrl: 'http://127.0.0.1:9',
    stripeSecretKey: kit.key,
    stripeApiBase: sandbox.url,
    database: join(kit.tempDir('mcp-stripe-bench-library-'), 'billing.db'),
    localUser: 'bench-payer',
    logLevel: 'silent',
  });
  const server = billing.wrap(new McpServer({ name: 'bench', version: '1' }));
  server.registerTool('lookup', { inputSchema: z.object({ q: z.string() }) }, ({ q }) => ({
    content: [{ type: 'text', text: `result for ${q}` }],
  }));
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(b);
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(a);
  const call = () => client.callTool({ name: 'lookup', arguments: { q: 'x' } });
  let before = log.length;
  const sessionsBefore = sessions();
  let url = '';
  for (let i = 0; i < n; i++) url = ((await call()).structuredContent as { url: string }).url;
  const ours = { unpaid_requests: log.length - before, unpaid_sessions: sessions() - sessionsBefore };
  const checkout = await billing.fetch(new Request(url));
  const success = await pay(checkout.headers.get('location')!);
  await billing.fetch(new Request(success));
  before = log.length;
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await call();
    times.push(performance.now() - t0);
    if (r.isError) throw new Error('mcp-stripe/billing: the paid call was refused after paying');
  }
  const mine = { ...ours, paid_requests: log.length - before, ...stats(kit, times) };
  await client.close();
  await billing.close();

  // @stripe/agent-toolkit 0.9.0, installed apart (bench/anchors) with its own SDKs.
  const anchors = join(kit.root, 'bench', 'anchors');
  if (!existsSync(join(anchors, 'node_modules', '@stripe', 'agent-toolkit')))
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: anchors, stdio: 'ignore' });
  const child = spawn(process.execPath, ['--import', './stripe-to-sandbox.mjs', 'paid-tool.mjs'], {
    cwd: anchors,
    env: {
      PATH: process.env.PATH ?? '',
      STRIPE_SECRET_KEY: kit.key,
      STRIPE_API_BASE: sandbox.url,
      PRICE: synced.plans.find((p) => p.plan === 'pro')!.price,
      CALLS: String(n),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const read = async () => JSON.parse((await lines.next()).value as string) as Record<string, unknown>;
  const send = (o: unknown) => child.stdin.write(`${JSON.stringify(o)}\n`);
  const exited = new Promise((r) => child.once('exit', r));
  before = log.length;
  const theirSessions = sessions();
  send({ phase: 'unpaid' });
  const { checkoutUrl } = (await read()) as { checkoutUrl: string };
  const theirs = { unpaid_requests: log.length - before, unpaid_sessions: sessions() - theirSessions };
  await pay(checkoutUrl);
  before = log.length;
  send({ phase: 'paid' });
  const { times: theirTimes } = (await read()) as { times: number[] };
  const anchor = { ...theirs, paid_requests: log.length - before, ...stats(kit, theirTimes) };
  await exited;
  const per = (r: { unpaid_requests: number; paid_requests: number; unpaid_sessions: number }) => ({
    requests_per_unpaid_call: kit.round(r.unpaid_requests / n, 2),
    checkout_sessions_per_unpaid_call: kit.round(r.unpaid_sessions / n, 2),
    requests_per_paid_call: kit.round(r.paid_requests / n, 2),
  });
  return {
    calls: n,
    mcp_stripe: { ...per(mine), p50_ms: mine.p50_ms, p99_ms: mine.p99_ms },
    agent_toolkit_0_9_0: { ...per(anchor), p50_ms: anchor.p50_ms, p99_ms: anchor.p99_ms },
  };
}

/** A signed subscription event in through the webhook route until billing_status shows its plan. */
async function webhookToEntitlement(kit: BenchKit, sandbox: RunningSandbox) {
  const secret = `whsec_${'billing'}benchsecret0000000`; // built, as in run.ts: no tracked secret-like line
  const billing = await createBilling({
    plans: PLANS,
    publicUrl: 'http://127.0.0.1:9',
    stripeSecretKey: kit.key,
    stripeApiBase: sandbox.url,
    webhookSecret: secret,
    database: join(kit.tempDir('mcp-stripe-bench-webhooks-'), 'billing.db'),
    logLevel: (process.env.BENCH_LOG as 'debug') ?? 'silent',
  });
  const stripe = await createStripeClient({
    apiKey: kit.key,
    apiVersion: PINNED_API_VERSION,
    timeoutMs: 5000,
    maxNetworkRetries: 0,
  });
  const n = kit.quick ? 200 : 1000;
  // One second apart, in the past: each is newer than the state before it, so none needs a re-fetch
  // (an event is never taken as newer than its arrival).
  const base = Math.floor(Date.now() / 1000) - n - 5;
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const status = i % 2 === 0 ? 'active' : 'canceled';
    const payload = JSON.stringify({
      id: `evt_bench_${i}`,
      object: 'event',
      type: 'customer.subscription.updated',
      created: base + i,
      livemode: false,
      api_version: PINNED_API_VERSION,
      data: {
        object: {
          id: 'sub_bench',
          object: 'subscription',
          customer: 'cus_bench',
          status,
          cancel_at_period_end: false,
          trial_end: null,
          metadata: { user_id: 'webhook-user' },
          items: {
            data: [
              {
                current_period_end: base + 86_400 * 30,
                price: { lookup_key: 'bench-tools:pro', recurring: {} },
              },
            ],
          },
        },
      },
    });
    const signature = stripe.webhooks.generateTestHeaderString({ payload, secret });
    const want = status === 'active' ? 'pro' : 'free';
    const t0 = performance.now();
    const res = await billing.fetch(
      new Request('http://127.0.0.1:9/webhooks/stripe', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        body: payload,
      }),
    );
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
    while ((await billing.status('webhook-user')).plan !== want) await new Promise((r) => setImmediate(r));
    times.push(performance.now() - t0);
  }
  await billing.close();
  return { events: n, ...stats(kit, times) };
}

/** `tools/call` to the upstream directly, and the same call through `mcp-stripe gateway` in front of it. */
async function gatewayOverhead(kit: BenchKit) {
  const fixture = join(kit.root, 'test', 'fixtures', 'upstream-server.mjs');
  const upstream = spawn(process.execPath, [fixture, '--http'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const upstreamUrl = await new Promise<string>((resolve) =>
    upstream.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())),
  );
  const dir = kit.tempDir('mcp-stripe-bench-gateway-');
  const plansPath = join(dir, 'plans.json');
  writeFileSync(plansPath, JSON.stringify(PLANS));
  const gateway = await kit.serve(
    join(kit.root, 'dist', 'cli.cjs'),
    [
      'gateway',
      '--sandbox',
      '--port=0',
      `--plans=${plansPath}`,
      `--upstream=${upstreamUrl}`,
      `--data-dir=${dir}`,
    ],
    {},
    /(http:\/\/127\.0\.0\.1:\d+\/mcp)/,
  );
  const connect = async (url: string) => {
    const c = new Client({ name: 'bench', version: '1' });
    await c.connect(new StreamableHTTPClientTransport(new URL(url)));
    return c;
  };
  const direct = await connect(upstreamUrl);
  const gated = await connect(gateway.url);
  const n = kit.quick ? 200 : 1000;
  const diffs: number[] = [];
  const d: number[] = [];
  const g: number[] = [];
  for (let i = 0; i < n + 50; i++) {
    const t0 = performance.now();
    await direct.callTool({ name: 'echo', arguments: { text: 'x' } });
    const t1 = performance.now();
    const r = await gated.callTool({ name: 'echo', arguments: { text: 'x' } });
    const t2 = performance.now();
    if (r.isError) throw new Error(`the gateway refused: ${JSON.stringify(r.content)}`);
    if (i >= 50) {
      d.push(t1 - t0);
      g.push(t2 - t1);
      diffs.push(t2 - t1 - (t1 - t0));
    }
  }
  await direct.close();
  await gated.close();
  await gateway.stop();
  upstream.kill('SIGKILL');
  return {
    calls: n,
    direct: stats(kit, d),
    through_gateway: stats(kit, g),
    overhead_p50_ms: kit.round(kit.pct(diffs, 50), 3),
    overhead_p99_ms: kit.round(kit.pct(diffs, 99), 3),
  };
}

export async function billingBench(kit: BenchKit) {
  const sandbox = await startSandbox();
  try {
    const step = <T>(name: string, run: () => Promise<T>) => {
      process.stderr.write(`billing: ${name}…\n`);
      return run();
    };
    return {
      paywall: await step('paywall decision', () => paywallDecision(kit, sandbox)),
      requests: await step('Stripe requests per call', () => requestsPerCall(kit, sandbox)),
      webhook_to_entitlement: await step('webhook → entitlement', () => webhookToEntitlement(kit, sandbox)),
      gateway: await step('gateway overhead', () => gatewayOverhead(kit)),
    };
  } finally {
    await sandbox.close();
  }
}
