import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/runtime.js';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import type { EventLog } from '../src/storage/ports.js';
import { createSqliteStore } from '../src/storage/sqlite/index.js';
import { PINNED_API_VERSION, type StripeClient } from '../src/stripe/client.js';
import { signWebhook } from '../src/stripe/webhooks.js';
import type { RunningHttp } from '../src/transports/http.js';
import { syncEvents } from '../src/webhooks/sync.js';
import { callTool, cleanEnv, CLI, startHttpStack, sandboxStripe } from './helpers.js';

const SECRET = `whsec_${'test'}secretnumberone1234`;
const OLD_SECRET = `whsec_${'rotated'}outsecret5678`;
const KEY = 'sk_test_eventsflow000001';

let sandbox: RunningSandbox;
let runtime: Runtime;
let http: RunningHttp;
let client: Client;
let stripe: StripeClient;
let hookUrl: string;
let flaky = 0;

beforeAll(async () => {
  sandbox = await startSandbox({ webhookRetryDelaysMs: [0, 50, 100, 200] });
  const dataDir = mkdtempSync(join(tmpdir(), 'mcp-stripe-events-'));
  // The store fails the next `flaky` appends, to prove a storage failure answers 5xx and Stripe's retry lands.
  const store = createSqliteStore(join(dataDir, 'mcp-stripe.db'));
  const append = store.events.append.bind(store.events);
  store.events.append = (e) => (flaky-- > 0 ? Promise.reject(new Error('disk full')) : append(e));
  ({ runtime, http } = await startHttpStack({
    flags: { dataDir, tools: 'all' },
    env: {
      STRIPE_SECRET_KEY: KEY,
      STRIPE_API_BASE: sandbox.url,
      STRIPE_WEBHOOK_SECRET: `${SECRET},${OLD_SECRET}`,
    },
    store,
  }));
  hookUrl = http.url.replace('/mcp', '/webhooks/stripe');
  client = new Client({ name: 'events-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(http.url)));
  stripe = await sandboxStripe(sandbox, KEY);
});
afterAll(async () => {
  await client.close();
  await http.close();
  await runtime.close();
  await sandbox.close();
});

const log = (): EventLog => runtime.events.log;
let seq = 0;
function event(type: string, object: Record<string, unknown>, created = Math.floor(Date.now() / 1000)) {
  return {
    id: `evt_test_${++seq}_${Date.now()}`,
    object: 'event',
    api_version: PINNED_API_VERSION,
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}
async function post(body: string, signature?: string) {
  const res = await fetch(hookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature ? { 'stripe-signature': signature } : {}) },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const deliver = async (e: object, secret = SECRET, timestamp?: number) => {
  const body = JSON.stringify(e);
  return post(body, await signWebhook(body, secret, timestamp));
};

describe('webhook receiver', () => {
  it('a valid delivery is stored once; a duplicate answers 200 with no second effect', async () => {
    const e = event('customer.created', { id: 'cus_hook1', object: 'customer', email: 'a@b.co' });
    const before = await log().count();
    expect(await deliver(e)).toEqual({ status: 200, body: { received: true } });
    expect(await deliver(e)).toEqual({ status: 200, body: { received: true, duplicate: true } });
    expect(await log().count()).toBe(before + 1);
    expect((await log().get(e.id))!.payload).toEqual(e);
  });

  it.each([
    [
      'tampered body',
      (b: string) => ({ body: b.replace('a@b.co', 'x@y.z'), sig: signWebhook(b, SECRET) }),
      /signature does not match/,
    ],
    [
      'wrong secret',
      (b: string) => ({ body: b, sig: signWebhook(b, 'whsec_someoneelsesecret0') }),
      /signature does not match/,
    ],
    [
      'old timestamp',
      (b: string) => ({ body: b, sig: signWebhook(b, SECRET, Math.floor(Date.now() / 1000) - 301) }),
      /timestamp outside the tolerance of 300 s/,
    ],
    ['missing signature', (b: string) => ({ body: b, sig: undefined }), /missing Stripe-Signature/],
    [
      'garbage signature',
      (b: string) => ({ body: b, sig: 'nonsense' }),
      /malformed Stripe-Signature|signature does not match/,
    ],
  ])('%s → 400 with a short reason, nothing stored', async (_label, make, reason) => {
    const e = event('customer.updated', { id: 'cus_hook2', object: 'customer', email: 'a@b.co' });
    const { body, sig } = make(JSON.stringify(e));
    const before = await log().count();
    const res = await post(body, await sig);
    expect(res.status).toBe(400);
    expect(String(res.body.error)).toMatch(reason);
    expect(JSON.stringify(res.body)).not.toContain('whsec_');
    expect(await log().count()).toBe(before);
  });

  it.each([
    ['null'],
    ['[]'],
    ['{}'],
    ['{"type":"x.y","created":1}'],
    ['{"id":5,"type":"x","created":1}'],
    ['{"id":"evt_x","type":"x","created":"soon"}'],
  ])(
    'a correctly signed body that is not an event (%s) → 400, not 500 (Stripe would redeliver a 5xx for days)',
    async (body) => {
      const before = await log().count();
      const res = await post(body, await signWebhook(body, SECRET));
      expect(res.status).toBe(400);
      expect(String(res.body.error)).toMatch(/not a Stripe event/);
      expect(await log().count()).toBe(before);
    },
  );

  it('a signature timestamp in the future beyond the tolerance is refused', async () => {
    const e = event('customer.updated', { id: 'cus_future', object: 'customer' });
    const res = await deliver(e, SECRET, Math.floor(Date.now() / 1000) + 10 * 365 * 86_400);
    expect(res.status).toBe(400);
    expect(String(res.body.error)).toMatch(/in the future/);
  });

  it('an event created far in the future does not pin the object state', async () => {
    const now = Math.floor(Date.now() / 1000);
    const obj = { id: 'cus_pinned', object: 'customer' };
    expect(
      (await deliver(event('customer.updated', { ...obj, name: 'from the future' }, now + 10 * 365 * 86_400)))
        .status,
    ).toBe(200);
    expect(
      (await deliver(event('customer.updated', { ...obj, name: 'later, for real' }, now + 400))).status,
    ).toBe(200);
    const state = await callTool(client, 'get_object_state', { id: 'cus_pinned' });
    expect(state.data.state.name).toBe('later, for real');
  });

  it('rotation: an event signed with the previous secret is accepted', async () => {
    expect(
      (await deliver(event('charge.succeeded', { id: 'ch_rot', object: 'charge' }), OLD_SECRET)).status,
    ).toBe(200);
  });

  it('an event type this server has never heard of is stored (never a 4xx)', async () => {
    expect(
      (await deliver(event('v2.future.thing_happened', { id: 'fut_1', object: 'future_thing' }))).status,
    ).toBe(200);
  });

  it('a body over 1 MiB is refused unread', async () => {
    const res = await fetch(hookUrl, {
      method: 'POST',
      headers: { 'stripe-signature': 't=1,v1=x' },
      body: 'x'.repeat(1024 * 1024 + 1),
    });
    expect(res.status).toBe(413);
  });

  it('out of order: an older event never rolls state back', async () => {
    const t = Math.floor(Date.now() / 1000);
    const sub = { id: 'sub_order', object: 'subscription' };
    await deliver(event('customer.subscription.updated', { ...sub, status: 'past_due' }, t - 30));
    await deliver(event('customer.subscription.created', { ...sub, status: 'incomplete' }, t - 40));
    let state = await callTool(client, 'get_object_state', { id: 'sub_order' });
    expect(state.data).toMatchObject({
      found: true,
      object_type: 'subscription',
      state: { status: 'past_due' },
      as_of: t - 30,
    });
    await deliver(event('customer.subscription.deleted', { ...sub, status: 'canceled' }, t - 10));
    await deliver(event('customer.subscription.updated', { ...sub, status: 'active' }, t - 20));
    state = await callTool(client, 'get_object_state', { id: 'sub_order' });
    expect(state.data.state.status).toBe('canceled');
    expect(state.data.events.map((e: { type: string }) => e.type)).toEqual([
      'customer.subscription.deleted',
      'customer.subscription.updated',
      'customer.subscription.updated',
      'customer.subscription.created',
    ]);
  });

  it('a storage failure answers 5xx; the sandbox delivers again and the event is stored once', async () => {
    const endpoint = await stripe.webhookEndpoints.create({
      url: hookUrl,
      enabled_events: ['customer.created'],
    });
    runtime.webhooks.secrets.push(endpoint.secret!);
    try {
      flaky = 1;
      const c = await stripe.customers.create({ email: 'retry@example.com' });
      await sandbox.state.webhooks.idle();
      const attempts = sandbox.state.webhooks.deliveries
        .filter((d) => d.endpointId === endpoint.id)
        .map((d) => d.status);
      expect(attempts).toEqual([500, 200]);
      const stored = await log().list({ objectId: c.id, limit: 10 });
      expect(stored.events.map((e) => e.type)).toEqual(['customer.created']);
    } finally {
      await stripe.webhookEndpoints.del(endpoint.id);
    }
  });
});

describe('polling tools through a real MCP client', () => {
  let endpointId: string;
  beforeAll(async () => {
    const endpoint = await stripe.webhookEndpoints.create({ url: hookUrl, enabled_events: ['*'] });
    endpointId = endpoint.id;
    runtime.webhooks.secrets.push(endpoint.secret!);
  });
  afterAll(async () => {
    await stripe.webhookEndpoints.del(endpointId);
  });

  it('get_payment_status answers from the event log, with its age, or from the API', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await sandbox.state.webhooks.idle();
    const fromLog = await callTool(client, 'get_payment_status', { payment_intent_id: pi.id });
    expect(fromLog.data).toMatchObject({
      status: 'succeeded',
      amount_received: 2000,
      source: 'event_log',
      last_event_type: 'payment_intent.succeeded',
    });
    expect(fromLog.data.age_seconds).toBeGreaterThanOrEqual(0);
    // An intent no event told us about is read from the API.
    const silent = await stripe.paymentIntents.create({ amount: 999, currency: 'usd' });
    await sandbox.state.webhooks.idle();
    const gone = (await log().list({ objectId: silent.id, limit: 5 })).events.length;
    expect(gone).toBeGreaterThan(0);
    const unknown = await callTool(client, 'get_payment_status', { payment_intent_id: 'pi_never_seen' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toContain('No such payment_intent');
  });

  it('list_events filters by type glob, object and since, and paginates', async () => {
    const c = await stripe.customers.create({ email: 'list@example.com' });
    await stripe.customers.update(c.id, { name: 'Lister' });
    await stripe.customers.update(c.id, { phone: '+100' });
    await sandbox.state.webhooks.idle();
    const byObject = await callTool(client, 'list_events', { object_id: c.id });
    expect(byObject.data.data.map((e: { type: string }) => e.type)).toEqual([
      'customer.updated',
      'customer.updated',
      'customer.created',
    ]);
    const glob = await callTool(client, 'list_events', { type: 'customer.*', object_id: c.id, limit: 2 });
    expect(glob.data.has_more).toBe(true);
    const next = await callTool(client, 'list_events', {
      type: 'customer.*',
      object_id: c.id,
      starting_after: glob.data.next_starting_after,
    });
    expect(next.data.data.map((e: { type: string }) => e.type)).toEqual(['customer.created']);
    expect(
      (await callTool(client, 'list_events', { type: 'payment_intent.succeeded', since: '1h' })).data.data
        .length,
    ).toBeGreaterThan(0);
    expect((await callTool(client, 'list_events', { since: 'yesterday' })).text).toMatch(
      /"since": pass Unix seconds, or a duration/,
    );
  });

  it('wait_for_event is woken by a sandbox delivery, with progress notifications while it waits', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 3100,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      capture_method: 'manual',
      confirm: true,
    });
    const progress: number[] = [];
    const waiting = client.callTool(
      {
        name: 'wait_for_event',
        arguments: { type: 'payment_intent.succeeded', object_id: pi.id, timeout_seconds: 20 },
      },
      { onprogress: (p) => progress.push(p.progress) },
    );
    await new Promise((r) => setTimeout(r, 1300));
    await stripe.paymentIntents.capture(pi.id);
    const result = (await waiting) as { structuredContent: Record<string, any> };
    expect(result.structuredContent).toMatchObject({
      matched: true,
      timed_out: false,
      event: { type: 'payment_intent.succeeded', object_id: pi.id },
      object: { status: 'succeeded' },
    });
    expect(result.structuredContent.waited_seconds).toBeLessThan(10);
    expect(progress.length).toBeGreaterThanOrEqual(1);
  });

  it('wait_for_event returns at once for an event already received about the object, and times out saying so', async () => {
    const c = await stripe.customers.create({ email: 'already@example.com' });
    await sandbox.state.webhooks.idle();
    const already = await callTool(client, 'wait_for_event', {
      type: 'customer.created',
      object_id: c.id,
      timeout_seconds: 5,
    });
    expect(already.data.matched).toBe(true);
    const none = await callTool(client, 'wait_for_event', { type: 'payout.paid', timeout_seconds: 1 });
    expect(none.data).toMatchObject({ matched: false, timed_out: true, event: null });
    expect(none.data.waited_seconds).toBeGreaterThanOrEqual(1);
  });

  it('the sandbox plays the customer: Checkout completed, a failed renewal', async () => {
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 1500,
      recurring: { interval: 'month' },
      product_data: { name: 'Club' },
    });
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: price.id, quantity: 1 }],
      customer_email: 'buyer@example.com',
      client_reference_id: 'user-7',
    });
    const completed = await fetch(`${sandbox.url}/_sandbox/checkout/sessions/${session.id}/complete`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
    });
    const s = (await completed.json()) as { status: string; subscription: string };
    expect(s.status).toBe('complete');
    await sandbox.state.webhooks.idle();
    const done = await callTool(client, 'wait_for_event', {
      type: 'checkout.session.completed',
      object_id: session.id,
      timeout_seconds: 5,
    });
    expect(done.data.object).toMatchObject({ client_reference_id: 'user-7', subscription: s.subscription });

    await fetch(`${sandbox.url}/_sandbox/subscriptions/${s.subscription}/renew`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
      body: new URLSearchParams({ fail: 'true' }),
    });
    await sandbox.state.webhooks.idle();
    const state = await callTool(client, 'get_object_state', { id: s.subscription });
    expect(state.data.state.status).toBe('past_due');
    const failed = await callTool(client, 'list_events', { type: 'invoice.payment_failed', limit: 1 });
    expect(failed.data.data).toHaveLength(1);
  });
});

describe('catch-up sync', () => {
  it('fills a gap after downtime without duplicating what webhooks stored', async () => {
    // Webhooks were down for these: nothing delivered them.
    const c = await stripe.customers.create({ email: 'gap@example.com' });
    await stripe.customers.update(c.id, { name: 'Gap' });
    expect((await log().list({ objectId: c.id, limit: 10 })).events).toHaveLength(0);
    const before = await log().count();
    const since = Math.floor(Date.now() / 1000) - 3600;
    const first = await syncEvents({ stripe, events: log(), since });
    expect(first.stored).toBeGreaterThanOrEqual(2);
    expect(first.duplicates).toBeGreaterThan(0);
    expect((await log().list({ objectId: c.id, limit: 10 })).events.map((e) => e.type)).toEqual([
      'customer.updated',
      'customer.created',
    ]);
    const again = await syncEvents({ stripe, events: log(), since });
    expect(again).toMatchObject({ stored: 0, duplicates: first.seen });
    expect(await log().count()).toBe(before + first.stored);
    const sandboxEvents = sandbox.state.platform.all('event').length;
    expect(first.seen).toBe(sandboxEvents);
  });
});

describe('mcp-stripe events sync', () => {
  it('fills the data directory from /v1/events, and a second run adds nothing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mcp-stripe-sync-'));
    const env = cleanEnv();
    // Asynchronous: the sandbox answering the child runs in this process.
    const run = () =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [CLI, 'events', 'sync', '--since=2h', `--data-dir=${dataDir}`],
          {
            env: { ...env, STRIPE_SECRET_KEY: KEY, STRIPE_API_BASE: sandbox.url },
          },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.once('exit', (status) => resolve({ status, stdout, stderr }));
      });
    const first = await run();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/syncing events created since .*\n.*events read/);
    const total = sandbox.state.platform.all('event').length;
    expect(JSON.parse(first.stdout)).toMatchObject({ seen: total, stored: total, duplicates: 0 });
    expect(JSON.parse((await run()).stdout)).toMatchObject({ seen: total, stored: 0, duplicates: total });
  });
});

describe('--sync-on-start', () => {
  it('the server catches up from /v1/events when it starts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mcp-stripe-syncstart-'));
    await stripe.customers.create({ email: 'while-down@example.com' });
    const child = spawn(process.execPath, [CLI, '--sync-on-start', `--data-dir=${dataDir}`], {
      env: { ...cleanEnv(), STRIPE_SECRET_KEY: KEY, STRIPE_API_BASE: sandbox.url },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const synced = await new Promise<{ stored: number; seen: number }>((resolve, reject) => {
      let buf = '';
      child.stderr.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /"msg":"event sync",[^\n]*"seen":(\d+),"stored":(\d+)/.exec(buf);
        if (m) resolve({ seen: Number(m[1]), stored: Number(m[2]) });
      });
      child.once('exit', () => reject(new Error(buf)));
    });
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(synced.stored).toBe(sandbox.state.platform.all('event').length);
    const store = createSqliteStore(join(dataDir, 'mcp-stripe.db'));
    try {
      expect(await store.events.count()).toBe(synced.stored);
      expect(
        (await store.events.list({ type: 'customer.created', limit: 100 })).events.some(
          (e) => (e.payload.data as { object: { email?: string } }).object.email === 'while-down@example.com',
        ),
      ).toBe(true);
    } finally {
      await store.close();
    }
  });
});

describe('durability', () => {
  it('an event acknowledged with 2xx survives SIGKILL of the server right after', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mcp-stripe-kill-'));
    const env = cleanEnv();
    const child = spawn(process.execPath, [CLI, '--webhook-port=0', `--data-dir=${dataDir}`], {
      env: { ...env, STRIPE_SECRET_KEY: KEY, STRIPE_API_BASE: sandbox.url, STRIPE_WEBHOOK_SECRET: SECRET },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stderr.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /"msg":"webhook listener","url":"([^"]+)"/.exec(buf);
        if (m) resolve(m[1]!);
      });
      child.once('exit', () => reject(new Error(buf)));
    });
    const e = event('payment_intent.succeeded', {
      id: 'pi_killed',
      object: 'payment_intent',
      status: 'succeeded',
    });
    const body = JSON.stringify(e);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'stripe-signature': await signWebhook(body, SECRET) },
      body,
    });
    expect(res.status).toBe(200);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const reopened = createSqliteStore(join(dataDir, 'mcp-stripe.db'));
    try {
      expect((await reopened.events.get(e.id))?.type).toBe('payment_intent.succeeded');
      expect((await reopened.events.objectState('pi_killed'))?.state.status).toBe('succeeded');
    } finally {
      await reopened.close();
    }
  });
});
