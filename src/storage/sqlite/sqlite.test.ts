// SQLite-only behaviour: reopening a file, background checkpoints, file modes. The adapter-neutral
// contract (and two handles on one file) is in ../contract.test.ts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../ports.js';
import { startCheckpointer } from './checkpointer.js';
import { createSqliteStore } from './index.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

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

describe('sqlite checkpoints', () => {
  it('committed events reach the database file in the background, not in a commit on the loop', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mcp-stripe-store-')), 'store.db');
    const store = createSqliteStore(path);
    const before = statSync(path).size;
    await Promise.all(
      Array.from({ length: 400 }, (_, i) =>
        store.events.append(ev(`evt_${i}`, 'customer.subscription.updated', 1000 + i, `sub_${i}`)),
      ),
    );
    // Far below the 10,000-page backstop, so only the worker can have copied the pages over.
    await expect.poll(() => statSync(path).size, { timeout: 3000 }).toBeGreaterThan(before);
    await store.close();
    const reopened = createSqliteStore(path);
    expect(await reopened.events.count()).toBe(400);
    await reopened.close();
  });

  it('falls back to SQLite’s own checkpoints when the worker cannot run', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mcp-stripe-store-')), 'store.db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    // The worker opens the file with fileMustExist; a path that is not there makes it fail.
    const checkpointer = startCheckpointer(db, `${path}.missing`);
    await expect.poll(() => db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await checkpointer.stop();
    db.close();
  });

  it('close() finishes in a process with nothing else to do (the worker holds it open while it stops)', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mcp-stripe-store-')), 'store.db');
    const fixture = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'store-close.ts');
    const run = spawnSync(process.execPath, ['--import', 'tsx', fixture, path], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('closed\n');
    expect(run.status).toBe(0);
  });
});

describe('sqlite file modes', () => {
  it.skipIf(process.platform === 'win32')(
    'a new data directory is 0700 and the database and its WAL are 0600',
    async () => {
      const dir = join(mkdtempSync(join(tmpdir(), 'mcp-stripe-store-')), 'data');
      const path = join(dir, 'store.db');
      const store = createSqliteStore(path);
      await store.events.append(ev('evt_mode', 'customer.subscription.updated', 1, 'sub_mode'));
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
      await store.close();
    },
  );
});
