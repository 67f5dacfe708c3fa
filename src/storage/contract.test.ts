// One contract, every adapter: memory, SQLite, and Postgres when DATABASE_URL is set. The last part
// runs two handles on one database at once (two processes on one SQLite file, two instances on one
// Postgres): the limits, the dedupe and the decisions must hold across them. SQLite-only behaviour
// (checkpoints, file modes, reopening a file) is in sqlite/sqlite.test.ts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DATABASE_URL, dropSchemas, freshSchema, NO_POSTGRES, postgresStore } from '../../test/postgres.js';
import { EventFeed } from '../webhooks/feed.js';
import { createMemoryStore } from './memory/index.js';
import type { Store, StoredEvent } from './ports.js';
import { createSqliteStore } from './sqlite/index.js';

interface Adapter {
  /** A fresh, empty store. */
  make(): Promise<Store>;
  /** Two handles on one fresh database, as two processes or instances have. */
  pair(): Promise<[Store, Store]>;
}

const sqlitePath = () => join(mkdtempSync(join(tmpdir(), 'mcp-stripe-store-')), 'store.db');
const ADAPTERS: Record<string, Adapter> = {
  memory: {
    make: () => Promise.resolve(createMemoryStore()),
    pair: () => {
      const one = createMemoryStore();
      return Promise.resolve([one, { ...one, close: () => Promise.resolve() }]);
    },
  },
  sqlite: {
    make: () => Promise.resolve(createSqliteStore(sqlitePath())),
    pair: () => {
      const path = sqlitePath();
      return Promise.resolve([createSqliteStore(path), createSqliteStore(path)]);
    },
  },
  ...(DATABASE_URL
    ? {
        postgres: {
          make: () => postgresStore(),
          pair: async () => {
            const schema = freshSchema();
            const first = await postgresStore(schema);
            return [first, await postgresStore(schema)];
          },
        },
      }
    : {}),
};
const adapters = Object.entries(ADAPTERS).map(([name, a]) => [name, () => a.make()] as const);

afterAll(dropSchemas);
// Without Postgres, the run says so (and how to run it).
if (!DATABASE_URL) it.skip(NO_POSTGRES, () => {});

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

describe.each(adapters)('%s store', (_name, make) => {
  let store: Store;
  afterEach(async () => {
    await store.close();
  });

  const reserve = (
    amount: number,
    at: number,
    extra: Partial<Parameters<Store['ledger']['reserve']>[0]> = {},
  ) =>
    store.ledger.reserve({
      scope: 'test:acct_1',
      currency: 'usd',
      amount,
      tool: 't',
      limit: 10_000,
      windowMs: DAY,
      now: at,
      ...extra,
    });

  it('reserves within the limit and refuses past it, saying what was used', async () => {
    store = await make();
    expect(await reserve(6_000, T0)).toMatchObject({ ok: true, used: 0 });
    expect(await reserve(4_000, T0 + 1)).toMatchObject({ ok: true, used: 6_000 });
    expect(await reserve(1, T0 + 2)).toEqual({ ok: false, used: 10_000, amount: 1 });
    expect(await store.ledger.used('test:acct_1', 'usd', T0 + 2, DAY)).toBe(10_000);
  });

  it('is per scope and per currency, and rolls off after the window', async () => {
    store = await make();
    await reserve(10_000, T0);
    expect(await reserve(10_000, T0, { currency: 'eur' })).toMatchObject({ ok: true });
    expect(await reserve(10_000, T0, { scope: 'live:acct_1' })).toMatchObject({ ok: true });
    expect(await reserve(1, T0 + DAY - 1)).toMatchObject({ ok: false });
    expect(await reserve(1, T0 + DAY)).toMatchObject({ ok: true, used: 0 });
  });

  it('release forgets a reservation; settle keeps it with the final amount and object', async () => {
    store = await make();
    const a = await reserve(5_000, T0);
    const b = await reserve(5_000, T0);
    if (!a.ok || !b.ok) throw new Error('expected reservations');
    await store.ledger.release(a.id);
    await store.ledger.settle(b.id, { state: 'settled', amount: 3_000, objectId: 'pi_1' });
    expect(await store.ledger.used('test:acct_1', 'usd', T0, DAY)).toBe(3_000);
    // What was counted for pi_1 is not counted again by a later call through the same object, in the same step.
    expect(await reserve(5_000, T0 + 1, { objectId: 'pi_1' })).toMatchObject({ ok: true, amount: 2_000 });
    expect(await reserve(5_001, T0 + 2, { objectId: 'pi_2' })).toMatchObject({ ok: false, amount: 5_001 });
  });

  it('a repeat with the same key counts nothing more, however often it comes, and an unknown outcome keeps counting', async () => {
    store = await make();
    const first = await reserve(6_000, T0, { key: 'k1' });
    if (!first.ok) throw new Error('expected a reservation');
    await store.ledger.settle(first.id, { state: 'unknown' });
    for (let i = 1; i <= 4; i++) {
      expect(await reserve(6_000, T0 + i, { key: 'k1' })).toMatchObject({
        ok: true,
        id: first.id,
        amount: 0,
        repeat: true,
      });
    }
    expect(await store.ledger.used('test:acct_1', 'usd', T0 + 5, DAY)).toBe(6_000);
    // Another key is another call: it needs room under the limit.
    expect(await reserve(6_000, T0 + 6, { key: 'k2' })).toMatchObject({ ok: false, used: 6_000 });
    // The same key a day later is a new call (Stripe too forgets keys after 24 hours).
    expect(await reserve(6_000, T0 + DAY + 1, { key: 'k1' })).toMatchObject({ ok: true, repeat: false });
  });

  it('totals per currency in the window', async () => {
    store = await make();
    await reserve(100, T0);
    await reserve(200, T0 + 1, { currency: 'eur' });
    await reserve(50, T0 + 2);
    await reserve(999, T0 - DAY - 1);
    expect(await store.ledger.totals('test:acct_1', T0 + 3, DAY)).toEqual({ usd: 150, eur: 200 });
    expect(await store.ledger.totals('other', T0 + 3, DAY)).toEqual({});
  });

  it('usage: every scope and currency in the window, for /metrics', async () => {
    store = await make();
    await reserve(100, T0);
    await reserve(50, T0 + 1);
    await reserve(200, T0 + 2, { currency: 'eur' });
    await reserve(300, T0 + 3, { scope: 'live:platform#acme' });
    await reserve(999, T0 - DAY - 1);
    const usage = await store.ledger.usage(T0 + 4, DAY);
    expect(usage.sort((a, b) => `${a.scope}${a.currency}`.localeCompare(`${b.scope}${b.currency}`))).toEqual([
      { scope: 'live:platform#acme', currency: 'usd', amount: 300 },
      { scope: 'test:acct_1', currency: 'eur', amount: 200 },
      { scope: 'test:acct_1', currency: 'usd', amount: 150 },
    ]);
  });

  it('audit: filters by tool, outcome, caller and a time range', async () => {
    store = await make();
    const rec = (at: number, tool: string, outcome: 'ok' | 'refused', caller: string) => ({
      at: new Date(at).toISOString(),
      caller,
      tool,
      args: {},
      decision: 'allowed',
      outcome,
      requestIds: [],
      durationMs: 1,
    });
    await store.audit.append(rec(T0, 'create_refund', 'ok', 'stdio'));
    await store.audit.append(rec(T0 + 1000, 'create_refund', 'refused', 'http'));
    await store.audit.append(rec(T0 + 2000, 'list_customers', 'ok', 'http'));
    const tools = async (q: Parameters<Store['audit']['query']>[0]) =>
      (await store.audit.query(q)).map((r) => `${r.tool}/${r.outcome}/${r.caller}`);
    expect(await tools({ tool: 'create_refund' })).toEqual([
      'create_refund/ok/stdio',
      'create_refund/refused/http',
    ]);
    expect(await tools({ outcome: 'refused' })).toEqual(['create_refund/refused/http']);
    expect(await tools({ caller: 'http', limit: 1 })).toEqual(['list_customers/ok/http']);
    expect(await tools({ since: new Date(T0 + 1000), until: new Date(T0 + 2000) })).toEqual([
      'create_refund/refused/http',
    ]);
  });

  it('audit: appends and queries oldest first, with since and limit', async () => {
    store = await make();
    const rec = (i: number) => ({
      at: new Date(T0 + i * 1000).toISOString(),
      caller: 'stdio',
      tool: `tool_${i}`,
      args: { i },
      decision: 'allowed',
      outcome: 'ok' as const,
      requestIds: [`req_${i}`],
      durationMs: i,
    });
    for (let i = 0; i < 5; i++) await store.audit.append(rec(i));
    expect((await store.audit.query({})).map((r) => r.tool)).toEqual([
      'tool_0',
      'tool_1',
      'tool_2',
      'tool_3',
      'tool_4',
    ]);
    expect((await store.audit.query({ limit: 2 })).map((r) => r.tool)).toEqual(['tool_3', 'tool_4']);
    expect((await store.audit.query({ since: new Date(T0 + 3000) })).map((r) => r.tool)).toEqual([
      'tool_3',
      'tool_4',
    ]);
    expect((await store.audit.query({}))[2]).toEqual(rec(2));
  });
});

const ev = (
  id: string,
  type: string,
  created: number,
  objectId: string | null,
  object: Record<string, unknown> = {},
): StoredEvent => ({
  id,
  type,
  apiVersion: '2026-10-28.endive',
  livemode: false,
  account: null,
  objectType: objectId ? 'subscription' : null,
  objectId,
  created,
  receivedAt: created * 1000,
  payload: { id, object: 'event', type, created, data: { object: { id: objectId, ...object } } },
});

describe.each(adapters)('%s event log', (_name, make) => {
  let store: Store;
  afterEach(async () => {
    await store.close();
  });

  it('stores once; a repeated id is a duplicate with no second effect', async () => {
    store = await make();
    const e = ev('evt_1', 'customer.created', 100, 'cus_1', { email: 'a@b.co' });
    expect(await store.events.append(e)).toBe('stored');
    expect(await store.events.append({ ...e, payload: { ...e.payload, tampered: true } })).toBe('duplicate');
    expect(await store.events.count()).toBe(1);
    const got = await store.events.get('evt_1');
    // A store with a clock of its own stamps the arrival itself (see the clock test below).
    expect(got).toEqual(store.events.now ? { ...e, receivedAt: got!.receivedAt } : e);
  });

  it('200 appends at once, a fifth of them repeats: each id stored once and told "stored" once', async () => {
    store = await make();
    const events = Array.from({ length: 160 }, (_, i) =>
      ev(`evt_burst_${i}`, 'invoice.paid', 1000 + i, `in_${i % 40}`, { n: i }),
    );
    const deliveries = [...events, ...events.filter((_, i) => i % 4 === 0)];
    const outcomes = await Promise.all(deliveries.map((e) => store.events.append(e)));
    expect(outcomes.filter((o) => o === 'stored')).toHaveLength(160);
    const storedIds = deliveries.filter((_, i) => outcomes[i] === 'stored').map((e) => e.id);
    expect(new Set(storedIds).size).toBe(160);
    expect(await store.events.count()).toBe(160);
    // Each object's state is its newest event's, though its events came in one batch.
    expect((await store.events.objectState('in_3'))?.eventId).toBe('evt_burst_123');
  });

  it('receivedAt and a waiter\'s "after now" come from one clock', async () => {
    store = await make();
    const before = await new EventFeed(store.events).now();
    // Stamped by a host whose clock runs an hour behind.
    const late = { ...ev('evt_skewed', 'invoice.paid', 1000, 'in_1'), receivedAt: before - 3_600_000 };
    await store.events.append(late);
    const found = await store.events.list({ receivedAfter: before - 1, limit: 10 });
    if (store.events.now) {
      // The store's own clock stamped it: the skewed host cannot hide it from a waiter.
      expect(found.events.map((e) => e.id)).toEqual(['evt_skewed']);
      expect(found.events[0]!.receivedAt).toBeGreaterThanOrEqual(before);
    } else {
      // One process, one clock: the host's stamp is kept as given.
      expect(found.events).toEqual([]);
      expect((await store.events.get('evt_skewed'))?.receivedAt).toBe(late.receivedAt);
    }
  });

  it('lists newest first with type globs, object, since and cursor pagination', async () => {
    store = await make();
    for (const [i, type] of [
      'invoice.created',
      'invoice.paid',
      'charge.succeeded',
      'invoice.finalized',
      'customer.created',
    ].entries()) {
      await store.events.append(ev(`evt_${i}`, type, 100 + i, i % 2 ? 'in_1' : 'in_2'));
    }
    const ids = async (q: Partial<Parameters<Store['events']['list']>[0]>) =>
      (await store.events.list({ limit: 10, ...q })).events.map((e) => e.id);
    expect(await ids({})).toEqual(['evt_4', 'evt_3', 'evt_2', 'evt_1', 'evt_0']);
    expect(await ids({ type: 'invoice.*' })).toEqual(['evt_3', 'evt_1', 'evt_0']);
    expect(await ids({ type: '*.succeeded' })).toEqual(['evt_2']);
    expect(await ids({ type: 'invoice.paid' })).toEqual(['evt_1']);
    expect(await ids({ objectId: 'in_1' })).toEqual(['evt_3', 'evt_1']);
    expect(await ids({ since: 103 })).toEqual(['evt_4', 'evt_3']);
    const page1 = await store.events.list({ limit: 2 });
    expect(page1.hasMore).toBe(true);
    const page2 = await store.events.list({ limit: 2, startingAfter: page1.events.at(-1)!.id });
    expect(page2.events.map((e) => e.id)).toEqual(['evt_2', 'evt_1']);
    expect(await ids({ type: 'invoice_%' })).toEqual([]); // LIKE wildcards are literal
  });

  it('object state follows the newest event by created, whatever the arrival order', async () => {
    store = await make();
    // Updated arrives before created; deleted before updated.
    await store.events.append(
      ev('evt_b', 'customer.subscription.updated', 200, 'sub_1', { status: 'past_due' }),
    );
    await store.events.append(
      ev('evt_a', 'customer.subscription.created', 100, 'sub_1', { status: 'active' }),
    );
    expect((await store.events.objectState('sub_1'))!.state.status).toBe('past_due');
    await store.events.append(
      ev('evt_d', 'customer.subscription.deleted', 300, 'sub_1', { status: 'canceled' }),
    );
    await store.events.append(
      ev('evt_c', 'customer.subscription.updated', 250, 'sub_1', { status: 'active' }),
    );
    expect(await store.events.objectState('sub_1')).toMatchObject({
      eventId: 'evt_d',
      state: { status: 'canceled' },
      created: 300,
    });
    // Same second: the greater event id wins, whichever arrives first.
    await store.events.append(ev('evt_z', 'x.updated', 400, 'sub_2', { v: 'z' }));
    await store.events.append(ev('evt_y', 'x.updated', 400, 'sub_2', { v: 'y' }));
    expect((await store.events.objectState('sub_2'))!.state.v).toBe('z');
    expect(await store.events.objectState('sub_none')).toBeUndefined();
    // Same second, different lifecycle: created < updated < deleted, whatever the ids and arrival.
    await store.events.append(
      ev('evt_9', 'customer.subscription.deleted', 500, 'sub_3', { status: 'canceled' }),
    );
    await store.events.append(
      ev('evt_8', 'customer.subscription.created', 500, 'sub_3', { status: 'active' }),
    );
    await store.events.append(
      ev('evt_7', 'customer.subscription.updated', 500, 'sub_3', { status: 'past_due' }),
    );
    expect((await store.events.objectState('sub_3'))!.state.status).toBe('canceled');
  });
});

describe.each(adapters)('%s approvals and operator sign-in', (_name, make) => {
  let store: Store;
  afterEach(async () => {
    await store.close();
  });
  const request = (binding: string, now: number) => ({
    binding,
    tool: 'create_refund',
    caller: 'stdio',
    channel: 'stdio',
    summary: 'Action: Create refund',
    reason: 'money-moving calls need confirmation',
    amount: 500,
    currency: 'usd',
    customer: null,
    ttlMs: 60_000,
    now,
  });

  it('one live approval per call: reopening returns it; decided once; consumed once; then a new one', async () => {
    store = await make();
    const first = await store.approvals.open(request('b1', T0));
    expect(first.created).toBe(true);
    expect(first.approval).toMatchObject({ status: 'pending', amount: 500, expiresAt: T0 + 60_000 });
    const again = await store.approvals.open(request('b1', T0 + 1));
    expect(again).toMatchObject({ created: false, approval: { id: first.approval.id } });
    expect((await store.approvals.open(request('b2', T0))).created).toBe(true);

    const id = first.approval.id;
    const approved = await store.approvals.decide(id, {
      decision: 'approved',
      by: 'ops',
      note: 'ok',
      now: T0 + 2,
    });
    expect(approved).toMatchObject({ status: 'approved', decidedBy: 'ops', note: 'ok', decidedAt: T0 + 2 });
    // A second decision changes nothing.
    const late = await store.approvals.decide(id, { decision: 'denied', by: 'other', now: T0 + 3 });
    expect(late).toMatchObject({ status: 'approved', decidedBy: 'ops' });
    // Still live (decided, unused): reopening the same call finds it.
    expect((await store.approvals.open(request('b1', T0 + 4))).approval.id).toBe(id);

    expect(await store.approvals.consume(id, T0 + 5)).toMatchObject({ status: 'approved' });
    expect(await store.approvals.consume(id, T0 + 6)).toBeUndefined();
    expect((await store.approvals.get(id, T0 + 6))?.status).toBe('used');
    const next = await store.approvals.open(request('b1', T0 + 7));
    expect(next.created).toBe(true);
    expect(next.approval.id).not.toBe(id);
  });

  it('expiry: an undecided or unused approval reads as expired, cannot be decided or consumed', async () => {
    store = await make();
    const { approval } = await store.approvals.open(request('e1', T0));
    const after = T0 + 60_000;
    expect((await store.approvals.get(approval.id, after))?.status).toBe('expired');
    expect(
      await store.approvals.decide(approval.id, { decision: 'approved', by: 'ops', now: after }),
    ).toMatchObject({
      status: 'expired',
    });
    const decided = await store.approvals.open(request('e2', T0));
    await store.approvals.decide(decided.approval.id, { decision: 'approved', by: 'ops', now: T0 + 1 });
    expect(await store.approvals.consume(decided.approval.id, after)).toBeUndefined();
    expect((await store.approvals.open(request('e1', after))).created).toBe(true);
    expect(
      await store.approvals.decide('apr_nope', { decision: 'approved', by: 'ops', now: T0 }),
    ).toBeUndefined();
  });

  it('lists newest first, by status or all decided', async () => {
    store = await make();
    const a = (await store.approvals.open(request('l1', T0))).approval;
    const b = (await store.approvals.open(request('l2', T0 + 10))).approval;
    await store.approvals.decide(a.id, { decision: 'denied', by: 'ops', now: T0 + 20 });
    expect((await store.approvals.list({ limit: 10, now: T0 + 30 })).map((x) => x.id)).toEqual([b.id, a.id]);
    expect(
      (await store.approvals.list({ status: 'pending', limit: 10, now: T0 + 30 })).map((x) => x.id),
    ).toEqual([b.id]);
    expect(
      (await store.approvals.list({ status: 'decided', limit: 10, now: T0 + 30 })).map((x) => x.id),
    ).toEqual([a.id]);
  });

  it('a sign-in token works once and expires; sessions expire and end', async () => {
    store = await make();
    const token = await store.operators.issueSignIn('operator', 60_000, T0);
    expect(await store.operators.redeem('not-a-token', DAY, T0)).toBeUndefined();
    const session = await store.operators.redeem(token, DAY, T0 + 1);
    expect(session).toBeDefined();
    expect(await store.operators.redeem(token, DAY, T0 + 2)).toBeUndefined();
    const s = await store.operators.session(session!, T0 + 3);
    expect(s).toMatchObject({ operator: 'operator', expiresAt: T0 + 1 + DAY });
    expect(s!.csrf.length).toBeGreaterThan(20);
    expect(await store.operators.session(session!, T0 + 1 + DAY)).toBeUndefined();
    await store.operators.endSession(session!);
    expect(await store.operators.session(session!, T0 + 3)).toBeUndefined();
    const stale = await store.operators.issueSignIn('operator', 60_000, T0);
    expect(await store.operators.redeem(stale, DAY, T0 + 60_000)).toBeUndefined();
    await store.operators.setValue('console.url', 'http://127.0.0.1:1/console');
    await store.operators.setValue('console.url', 'http://127.0.0.1:2/console');
    expect(await store.operators.getValue('console.url')).toBe('http://127.0.0.1:2/console');
  });
});

describe.each(adapters)('%s api keys', (_name, make) => {
  let store: Store;
  afterEach(async () => {
    await store.close();
  });
  const key = (name: string, hash: string, at: number) => ({
    id: `key_${hash}`,
    name,
    hash,
    prefix: 'mcps_ab',
    scopes: ['stripe:read'],
    tenant: null,
    createdAt: at,
    expiresAt: null,
    revokedAt: null,
  });

  it('one unrevoked key per name; found by hash; revoked once by id or name; the name is free again', async () => {
    store = await make();
    expect(await store.apiKeys.create(key('deploy-bot', 'h1', T0))).toBe(true);
    expect(await store.apiKeys.create(key('deploy-bot', 'h2', T0 + 1))).toBe(false);
    expect((await store.apiKeys.byHash('h1'))?.name).toBe('deploy-bot');
    expect(await store.apiKeys.byHash('h2')).toBeUndefined();
    expect((await store.apiKeys.revoke('deploy-bot', T0 + 5))?.revokedAt).toBe(T0 + 5);
    expect(await store.apiKeys.revoke('key_h1', T0 + 6)).toBeUndefined();
    expect((await store.apiKeys.byHash('h1'))?.revokedAt).toBe(T0 + 5);
    expect(await store.apiKeys.create(key('deploy-bot', 'h3', T0 + 7))).toBe(true);
    expect((await store.apiKeys.list()).map((k) => [k.hash, k.revokedAt])).toEqual([
      ['h3', null],
      ['h1', T0 + 5],
    ]);
  });
});

describe.each(adapters)('%s OAuth state', (_name, make) => {
  let store: Store;
  afterEach(async () => {
    await store.close();
  });

  it('upsert, find, find by uid, consume, expiry, destroy and revoke by grant', async () => {
    store = await make();
    const o = store.oauth;
    await o.upsert('AccessToken', 't1', { jti: 't1', grantId: 'g1' }, T0 + 1000, { grantId: 'g1' }, T0);
    await o.upsert('RefreshToken', 'r1', { jti: 'r1' }, T0 + 5000, { grantId: 'g1' }, T0);
    await o.upsert('Interaction', 'i1', { uid: 'u1' }, T0 + 1000, { uid: 'u1' }, T0);
    await o.upsert('Client', 'c1', { client_id: 'c1' }, null, {}, T0);
    expect(await o.find('AccessToken', 't1', T0)).toEqual({ jti: 't1', grantId: 'g1' });
    expect(await o.find('AccessToken', 't1', T0 + 1000)).toBeUndefined();
    expect(await o.findBy('Interaction', 'uid', 'u1', T0)).toEqual({ uid: 'u1' });
    await o.consume('RefreshToken', 'r1', T0 + 2000);
    expect(await o.find('RefreshToken', 'r1', T0 + 2500)).toEqual({
      jti: 'r1',
      consumed: Math.floor((T0 + 2000) / 1000),
    });
    await o.revokeByGrantId('g1');
    expect(await o.find('RefreshToken', 'r1', T0)).toBeUndefined();
    expect(await o.find('Client', 'c1', T0 + 10 * DAY)).toEqual({ client_id: 'c1' });
    expect((await o.list('Client', T0, 10)).map((c) => c.id)).toEqual(['c1']);
    await o.destroy('Client', 'c1');
    expect(await o.find('Client', 'c1', T0)).toBeUndefined();
  });
});

describe.each(adapters)('%s billing', (_name, make) => {
  let store: Store;
  afterEach(async () => {
    await store.close();
  });
  const sub = (over: Partial<import('./ports.js').BillingSubscription> = {}) => ({
    id: 'sub_1',
    mode: 'test',
    user: 'u1',
    customer: 'cus_1',
    plan: 'pro',
    status: 'active',
    currentPeriodEnd: 2_000,
    cancelAtPeriodEnd: false,
    trialEnd: null,
    asOf: 100,
    ...over,
  });

  it('links a user to one customer per mode; the first link wins', async () => {
    store = await make();
    const b = store.billing;
    expect(await b.linkCustomer('test', 'u1', 'cus_1')).toBe('cus_1');
    expect(await b.linkCustomer('test', 'u1', 'cus_2')).toBe('cus_1');
    expect(await b.customerOf('test', 'u1')).toBe('cus_1');
    expect(await b.customerOf('live', 'u1')).toBeUndefined();
    expect(await b.userOfCustomer('test', 'cus_1')).toBe('u1');
  });

  it('keeps the newest subscription state: an older event does not overwrite it', async () => {
    store = await make();
    const b = store.billing;
    expect(await b.putSubscription(sub({ status: 'past_due', asOf: 200 }))).toBe(true);
    expect(await b.putSubscription(sub({ status: 'active', asOf: 100 }))).toBe(false);
    expect((await b.subscription('test', 'sub_1'))?.status).toBe('past_due');
    expect(await b.putSubscription(sub({ status: 'canceled', asOf: 200, cancelAtPeriodEnd: true }))).toBe(
      true,
    );
    expect(await b.subscriptionsOf('test', 'u1')).toEqual([
      sub({ status: 'canceled', asOf: 200, cancelAtPeriodEnd: true }),
    ]);
    expect(await b.subscriptionsOf('live', 'u1')).toEqual([]);
    await b.linkCustomer('test', 'u1', 'cus_1');
    await b.forgetCustomer('test', 'cus_1');
    expect(await b.subscriptionsOf('test', 'u1')).toEqual([]);
    expect(await b.customerOf('test', 'u1')).toBeUndefined();
  });

  it('reserves quota units without ever passing the limit, and releases them', async () => {
    store = await make();
    const b = store.billing;
    const key = { mode: 'test', user: 'u1', window: 'day:2026-01-01' };
    const tries = await Promise.all(Array.from({ length: 20 }, () => b.reserve(key, 1, 5)));
    expect(tries.filter((t) => t.ok)).toHaveLength(5);
    expect(await b.used(key)).toBe(5);
    expect(await b.reserve(key, 1, 5)).toEqual({ ok: false, used: 5 });
    await b.release(key, 2);
    expect(await b.reserve(key, 2, 5)).toEqual({ ok: true, used: 5 });
    expect(await b.reserve({ ...key, window: 'day:2026-01-02' }, 3, undefined)).toEqual({
      ok: true,
      used: 3,
    });
  });

  it('drains the metering outbox: each row once, leased, retried when it failed', async () => {
    store = await make();
    const b = store.billing;
    const row = { mode: 'test', customer: 'cus_1', event: 'tool_calls', value: 5, at: 1000 };
    await b.enqueueMeter({ id: 'call_1', ...row });
    await b.enqueueMeter({ id: 'call_1', ...row });
    await b.enqueueMeter({ id: 'call_2', ...row });
    expect(await b.meterBacklog()).toBe(2);
    const [first, second] = await Promise.all([
      b.claimMeters('test', 10, 1000, 60),
      b.claimMeters('test', 10, 1000, 60),
    ]);
    expect([...first, ...second].map((r) => r.id).sort()).toEqual(['call_1', 'call_2']);
    await b.meterSent('call_1');
    await b.meterFailed('call_2', 1010);
    expect(await b.claimMeters('test', 10, 1005, 60)).toEqual([]);
    expect(await b.claimMeters('live', 10, 1010, 60)).toEqual([]);
    expect((await b.claimMeters('test', 10, 1010, 60)).map((r) => [r.id, r.attempts])).toEqual([
      ['call_2', 2],
    ]);
    expect(await b.meterBacklog()).toBe(1);
  });

  it('keeps usage newest first', async () => {
    store = await make();
    const b = store.billing;
    await b.recordUsage({ id: 'c1', mode: 'test', user: 'u1', tool: 'a', units: 1, at: 1, outcome: 'ok' });
    await b.recordUsage({ id: 'c2', mode: 'test', user: 'u1', tool: 'b', units: 5, at: 2, outcome: 'error' });
    expect((await b.usageOf('test', 'u1', 10)).map((u) => u.id)).toEqual(['c2', 'c1']);
  });
});

describe.each(Object.entries(ADAPTERS))('%s: two handles on one database', (_name, adapter) => {
  let handles: Store[] = [];
  afterEach(async () => {
    await Promise.all(handles.map((h) => h.close()));
    handles = [];
  });
  const pair = async () => (handles = await adapter.pair());

  it('20 parallel ledger reservations across them never pass the limit', async () => {
    const [a, b] = await pair();
    const tries = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).ledger.reserve({
          scope: 'live:acct_1',
          currency: 'usd',
          amount: 1_000,
          tool: 'create_refund',
          limit: 7_000,
          windowMs: DAY,
          // Out of order, as concurrent calls are once they wait for each other (or instances' clocks
          // differ): an entry stamped after a caller's now still counts.
          now: T0 + ((i * 7) % 20),
        }),
      ),
    );
    expect(tries.filter((t) => t.ok)).toHaveLength(7);
    expect(await a.ledger.used('live:acct_1', 'usd', T0 + 20, DAY)).toBe(7_000);
    // The same object, counted once however many calls name it.
    const sameObject = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? a : b).ledger.reserve({
          scope: 'live:acct_2',
          currency: 'usd',
          amount: 500,
          tool: 'capture_payment_intent',
          objectId: 'pi_1',
          limit: 10_000,
          windowMs: DAY,
          now: T0,
        }),
      ),
    );
    expect(sameObject.filter((t) => t.ok && t.amount > 0)).toHaveLength(1);
    expect(await b.ledger.used('live:acct_2', 'usd', T0 + 20, DAY)).toBe(500);
  });

  it('quota counters: 20 parallel reservations of the last 7 units take exactly 7', async () => {
    const [a, b] = await pair();
    const key = { mode: 'live', user: 'u1', window: 'month:2026-01' };
    const tries = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).billing.reserve(key, 1, 7)),
    );
    expect(tries.filter((t) => t.ok)).toHaveLength(7);
    expect(await a.billing.used(key)).toBe(7);
    expect(await b.billing.used(key)).toBe(7);
  });

  it('the same event appended from both at once is stored once', async () => {
    const [a, b] = await pair();
    const e = ev('evt_twice', 'customer.subscription.updated', 1000, 'sub_1', { id: 'sub_1' });
    const outcomes = await Promise.all([a.events.append(e), b.events.append(e), a.events.append(e)]);
    expect(outcomes.filter((o) => o === 'stored')).toHaveLength(1);
    expect(await b.events.count()).toBe(1);
  });

  it('approvals: decided in one, honoured in the other, consumed once', async () => {
    const [server, operatorSide] = await pair();
    const { approval } = await server.approvals.open({
      binding: 'x',
      tool: 'create_refund',
      caller: 'stdio',
      channel: 'stdio',
      summary: 's',
      reason: 'r',
      amount: 1,
      currency: 'usd',
      customer: null,
      ttlMs: 60_000,
      now: T0,
    });
    // The same call asked on the other handle joins the open approval.
    const again = await operatorSide.approvals.open({
      binding: 'x',
      tool: 'create_refund',
      caller: 'stdio',
      channel: 'stdio',
      summary: 's',
      reason: 'r',
      amount: 1,
      currency: 'usd',
      customer: null,
      ttlMs: 60_000,
      now: T0 + 1,
    });
    expect(again).toMatchObject({ created: false, approval: { id: approval.id } });
    const decisions = await Promise.all([
      operatorSide.approvals.decide(approval.id, { decision: 'approved', by: 'ops', now: T0 + 1 }),
      server.approvals.decide(approval.id, { decision: 'denied', by: 'other', now: T0 + 1 }),
    ]);
    // Decided once: both answers name the same decision.
    expect(new Set(decisions.map((d) => d?.status)).size).toBe(1);
    const [x, y] = await Promise.all([
      server.approvals.consume(approval.id, T0 + 2),
      operatorSide.approvals.consume(approval.id, T0 + 2),
    ]);
    expect([x, y].filter(Boolean)).toHaveLength(1);
    const token = await operatorSide.operators.issueSignIn('ops', 60_000, T0);
    expect(await server.operators.redeem(token, DAY, T0)).toBeDefined();
    expect(await operatorSide.operators.redeem(token, DAY, T0)).toBeUndefined();
  });

  it('metering outbox rows are claimed by exactly one worker', async () => {
    const [a, b] = await pair();
    for (let i = 0; i < 10; i++)
      await a.billing.enqueueMeter({
        id: `m${i}`,
        mode: 'live',
        customer: 'cus_1',
        event: 'calls',
        value: 1,
        at: 1,
      });
    const claims = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).billing.claimMeters('live', 3, 100, 15)),
    );
    const ids = claims.flat().map((r) => r.id);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
  });
});

describe.skipIf(!DATABASE_URL)('postgres: rate-limit counters', () => {
  it('two instances count one limit: 20 parallel requests against 7 per minute let 7 through', async () => {
    const [a, b] = await ADAPTERS.postgres!.pair();
    try {
      const limits = [a.rateLimiter!(7, 60), b.rateLimiter!(7, 60)];
      const tries = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => limits[i % 2]!.consume('key:bot')),
      );
      expect(tries.filter((t) => t.status === 'fulfilled')).toHaveLength(7);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe.skipIf(!DATABASE_URL)('postgres: batched appends', () => {
  it('an event the database refuses fails alone; the rest of its batch is stored', async () => {
    const store = await ADAPTERS.postgres!.make();
    try {
      const good = Array.from({ length: 30 }, (_, i) => ev(`evt_ok_${i}`, 'invoice.paid', 1000 + i, null));
      // A NUL character: Postgres text cannot hold it.
      const bad = {
        ...ev('evt_bad', 'invoice.paid', 999, null),
        payloadText: `{"id":"evt_bad${String.fromCharCode(0)}"}`,
      };
      const results = await Promise.allSettled([...good, bad].map((e) => store.events.append(e)));
      expect(results.slice(0, 30).every((r) => r.status === 'fulfilled' && r.value === 'stored')).toBe(true);
      expect(results[30]!.status).toBe('rejected');
      expect(await store.events.count()).toBe(30);
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(!DATABASE_URL)('postgres: cross-instance wake-ups', () => {
  it('an event stored by one instance wakes a waiter on the other at once (no poll)', async () => {
    const [a, b] = await ADAPTERS.postgres!.pair();
    try {
      // A poll once an hour: only the notification can wake this waiter within the test.
      const feed = new EventFeed(a.events, 3_600_000);
      const waiting = feed.waitFor(
        { type: 'invoice.paid', includeExisting: false, receivedAfter: 0 },
        60_000,
      );
      await feed.ready;
      await b.events.append(ev('evt_elsewhere', 'invoice.paid', 1000, 'in_1', { id: 'in_1' }));
      expect((await waiting)?.id).toBe('evt_elsewhere');
    } finally {
      await a.close();
      await b.close();
    }
  });
});
