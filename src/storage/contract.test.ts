import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStore } from './memory/index.js';
import type { Store } from './ports.js';
import { createSqliteStore } from './sqlite/index.js';

/** One contract, every adapter. */
const adapters: [string, () => Store][] = [
  ['memory', createMemoryStore],
  ['sqlite', () => createSqliteStore(join(mkdtempSync(join(tmpdir(), 'mcp-stripe-store-')), 'store.db'))],
];

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
    store = make();
    expect(await reserve(6_000, T0)).toMatchObject({ ok: true, used: 0 });
    expect(await reserve(4_000, T0 + 1)).toMatchObject({ ok: true, used: 6_000 });
    expect(await reserve(1, T0 + 2)).toEqual({ ok: false, used: 10_000 });
    expect(await store.ledger.used('test:acct_1', 'usd', T0 + 2, DAY)).toBe(10_000);
  });

  it('is per scope and per currency, and rolls off after the window', async () => {
    store = make();
    await reserve(10_000, T0);
    expect(await reserve(10_000, T0, { currency: 'eur' })).toMatchObject({ ok: true });
    expect(await reserve(10_000, T0, { scope: 'live:acct_1' })).toMatchObject({ ok: true });
    expect(await reserve(1, T0 + DAY - 1)).toMatchObject({ ok: false });
    expect(await reserve(1, T0 + DAY)).toMatchObject({ ok: true, used: 0 });
  });

  it('release forgets a reservation; settle keeps it with the final amount and object', async () => {
    store = make();
    const a = await reserve(5_000, T0);
    const b = await reserve(5_000, T0);
    if (!a.ok || !b.ok) throw new Error('expected reservations');
    await store.ledger.release(a.id);
    await store.ledger.settle(b.id, { amount: 3_000, objectId: 'pi_1' });
    expect(await store.ledger.used('test:acct_1', 'usd', T0, DAY)).toBe(3_000);
    expect(await store.ledger.countedFor('test:acct_1', 'pi_1', T0, DAY)).toBe(3_000);
    expect(await store.ledger.countedFor('test:acct_1', 'pi_2', T0, DAY)).toBe(0);
  });

  it('audit: appends and queries oldest first, with since and limit', async () => {
    store = make();
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

describe('sqlite durability', () => {
  it('a reopened file keeps the ledger and the audit log', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mcp-stripe-store-')), 'nested', 'store.db');
    const first = createSqliteStore(path);
    await first.ledger.reserve({
      scope: 's',
      currency: 'usd',
      amount: 700,
      tool: 't',
      limit: 1000,
      windowMs: DAY,
      now: T0,
    });
    await first.audit.append({
      at: new Date(T0).toISOString(),
      caller: 'x',
      tool: 't',
      args: {},
      decision: 'allowed',
      outcome: 'ok',
      requestIds: [],
      durationMs: 1,
    });
    await first.close();
    const second = createSqliteStore(path);
    expect(await second.ledger.used('s', 'usd', T0, DAY)).toBe(700);
    expect(
      await second.ledger.reserve({
        scope: 's',
        currency: 'usd',
        amount: 301,
        tool: 't',
        limit: 1000,
        windowMs: DAY,
        now: T0,
      }),
    ).toMatchObject({ ok: false, used: 700 });
    expect(await second.audit.query({})).toHaveLength(1);
    await second.close();
  });
});
