// `npm run bench`, several instances on one Postgres (DATABASE_URL; skipped without it): the ledger's
// reserve + settle on Postgres beside SQLite; webhook ingest on Postgres (the CLI's listener, batched
// appends), stored = distinct; tool calls/s through one instance and through two on the same
// database. Each run works in a schema of its own, dropped at the end.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import type { Store } from '../src/storage/ports.js';
import { createPostgresStore } from '../src/storage/postgres/index.js';
import { createSqliteStore } from '../src/storage/sqlite/index.js';
import { PINNED_API_VERSION } from '../src/stripe/client.js';
import type { BenchKit } from './billing.js';

export interface PostgresKit extends BenchKit {
  /** bench/load.mjs in its own process. */
  load(
    job: Record<string, unknown>,
  ): Promise<{ count: number; per_s: number; p50_ms: number; p99_ms: number; errors: number }>;
  /** A 2026-07-28 `tools/call` request as the load generator sends it. */
  toolCall(name: string, args: Record<string, unknown>): { body: string; headers: Record<string, string> };
}

const DAY = 86_400_000;

/** A URL whose connections work in `schema`. */
function inSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

/** reserve + settle, one after another (the latency one call adds), then 16 at once (throughput). */
async function ledgerCost(kit: BenchKit, store: Store, n: number) {
  const one = async (i: number, scope: string) => {
    const r = await store.ledger.reserve({
      scope,
      currency: 'usd',
      amount: 100,
      tool: 'create_payment_intent',
      key: `bench-${scope}-${i}`,
      limit: Number.MAX_SAFE_INTEGER,
      windowMs: DAY,
      now: Date.now(),
    });
    if (!r.ok) throw new Error('reservation refused');
    await store.ledger.settle(r.id, { state: 'settled', objectId: `pi_${scope}_${i}` });
  };
  for (let i = 0; i < 100; i++) await one(i, 'warm');
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await one(i, 'seq');
    times.push(performance.now() - t0);
  }
  // 16 callers, each on its own scope (as 16 tenants), so they do not queue on one scope's lock.
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async (_, c) => {
      for (let i = 0; i < n / 16; i++) await one(i, `par${c}`);
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return {
    calls: n,
    p50_ms: kit.round(kit.pct(times, 50), 3),
    p99_ms: kit.round(kit.pct(times, 99), 3),
    parallel16_per_s: Math.round(n / seconds),
  };
}

export async function postgresBench(kit: PostgresKit, databaseUrl: string | undefined) {
  if (!databaseUrl)
    return { skipped: 'DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)' };
  const schemas: string[] = [];
  const fresh = async () => {
    const schema = `mcp_stripe_bench_${randomBytes(5).toString('hex')}`;
    schemas.push(schema);
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    return schema;
  };
  const count = async (schema: string, sql: string) => {
    const c = new pg.Client({ connectionString: inSchema(databaseUrl, schema) });
    await c.connect();
    try {
      return Number((await c.query<{ n: string }>(sql)).rows[0]!.n);
    } finally {
      await c.end();
    }
  };
  try {
    const n = kit.quick ? 800 : 3200;
    const sqlite = createSqliteStore(join(kit.tempDir('mcp-stripe-bench-ledger-'), 'store.db'));
    const onSqlite = await ledgerCost(kit, sqlite, n);
    await sqlite.close();
    const postgres = await createPostgresStore(databaseUrl, { schema: await fresh() });
    const onPostgres = await ledgerCost(kit, postgres, n);
    await postgres.close();

    // Webhook ingest: the CLI's listener on Postgres, as the SQLite section does it.
    const secret = `whsec_${'bench'}marksecret00000002`;
    const ingestSchema = await fresh();
    const listener = await kit.serve(
      join(kit.root, 'dist', 'cli.cjs'),
      [`--api-key=${kit.key}`, '--webhook-port=0'],
      { STRIPE_WEBHOOK_SECRET: secret, DATABASE_URL: inSchema(databaseUrl, ingestSchema) },
      /"msg":"webhook listener","url":"([^"]+)"/,
    );
    const distinct = kit.quick ? 3000 : 15_000;
    const ingest = await kit.load({
      url: listener.url,
      concurrency: 32,
      webhook: { secret, events: distinct, duplicateEvery: 5 },
      apiVersion: PINNED_API_VERSION,
      headers: {},
      expectStatus: 200,
    });
    await listener.stop();
    const stored = await count(ingestSchema, 'SELECT COUNT(*) AS n FROM events');

    // Tool calls/s: one instance, then two on one database (two load generators, one each).
    const sandbox = await kit.serve(
      join(kit.root, 'dist', 'cli.cjs'),
      ['sandbox', '--port=0'],
      {},
      /listening on (http:\/\/127\.0\.0\.1:\d+)/,
    );
    const callsSchema = await fresh();
    const start = () =>
      kit.serve(
        join(kit.root, 'dist', 'cli.cjs'),
        [`--api-key=${kit.key}`, '--transport=http', '--port=0', '--log-level=warn'],
        { STRIPE_API_BASE: sandbox.url, DATABASE_URL: inSchema(databaseUrl, callsSchema) },
        /(http:\/\/127\.0\.0\.1:\d+\/mcp)/,
      );
    const first = await start();
    const created = kit.toolCall('create_payment_intent', { amount: 1000, currency: 'usd' });
    const text = await (await fetch(first.url, { method: 'POST', ...created })).text();
    const id = /pi_[A-Za-z0-9]+/.exec(text)?.[0];
    if (!id) throw new Error(`could not create the payment intent to read: ${text.slice(0, 300)}`);
    const read = kit.toolCall('stripe_api_read', { path: `/v1/payment_intents/${id}` });
    const job = (url: string, concurrency: number) => ({
      url,
      bodies: [read.body],
      headers: read.headers,
      expectStatus: 200,
      expectText: id,
      concurrency,
      seconds: kit.quick ? 2 : 5,
    });
    await kit.load({ ...job(first.url, 4), seconds: 1 }); // warm up
    const single = await kit.load(job(first.url, 32));
    const second = await start();
    await kit.load({ ...job(second.url, 4), seconds: 1 });
    const pair = await Promise.all([kit.load(job(first.url, 16)), kit.load(job(second.url, 16))]);
    await Promise.all([first.stop(), second.stop()]);
    await sandbox.stop();
    const audited = await count(callsSchema, 'SELECT COUNT(*) AS n FROM audit_log');
    return {
      ledger_reserve_settle: { sqlite: onSqlite, postgres: onPostgres },
      webhook_ingest: {
        deliveries: ingest.count,
        distinct,
        stored,
        stored_equals_distinct: stored === distinct,
        events_per_s: ingest.per_s,
        p99_ms: kit.round(ingest.p99_ms),
        errors: ingest.errors,
      },
      tool_calls: {
        one_instance_c32: { calls_per_s: single.per_s, p99_ms: single.p99_ms, errors: single.errors },
        two_instances_c16_each: {
          calls_per_s: pair[0].per_s + pair[1].per_s,
          p99_ms: Math.max(pair[0].p99_ms, pair[1].p99_ms),
          errors: pair[0].errors + pair[1].errors,
        },
        audited_calls: audited,
      },
    };
  } finally {
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await admin.end();
  }
}
