// `npm run bench`, answers: each analytics tool on the demo business (Stripe requests made, wall
// time, and the cached answer), the docs search (its index's size and load time, per-query p50 / p99
// over the questions the tests rank), and what the demo seed costs at start-up.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import MiniSearch from 'minisearch';
import { loadConfig } from '../src/config/load.js';
import { buildIndex, INDEX_OPTIONS, searchDocumentation } from '../src/docsearch/index.js';
import { startSandbox } from '../src/sandbox/index.js';
import { createStripeClient, PINNED_API_VERSION } from '../src/stripe/client.js';
import { QUESTIONS } from '../test/fixtures/doc-questions.js';
import { inProcessClient } from './in-process.js';

interface Kit {
  root: string;
  key: string;
  quick: boolean;
  pct(xs: number[], p: number): number;
  round(n: number, d?: number): number;
  /** Spawn → `initialize` answered over stdio (run.ts's start-up measure), in ms. */
  startup(args: string[]): Promise<{ ms: number }>;
}

const time = async <T>(f: () => Promise<T> | T): Promise<[T, number]> => {
  const t0 = performance.now();
  const v = await f();
  return [v, performance.now() - t0];
};

const ANALYTICS: [string, Record<string, unknown>][] = [
  ['revenue_summary', { period: 'last_90_days' }],
  ['mrr', {}],
  ['churn', { period: 'last_30_days' }],
  ['failed_payments', { period: 'last_90_days' }],
  ['top_customers', { period: 'last_90_days' }],
];

export async function answersBench(kit: Kit) {
  const round = (n: number, d?: number) => kit.round(n, d);
  const pct = (xs: number[], p: number) => kit.pct(xs, p);
  const median = (xs: number[]) => pct(xs, 50);

  // The demo seed: in-process, and what it adds to `--sandbox` start-up (the default of npm start).
  const [sandbox, seedMs] = await time(() => startSandbox({ seed: 'demo' }));
  const runs = kit.quick ? 2 : 5;
  const cli = join(kit.root, 'dist', 'cli.cjs');
  const seeded: number[] = [];
  const empty: number[] = [];
  for (let i = 0; i < runs; i++) {
    seeded.push((await kit.startup([cli, '--sandbox'])).ms);
    empty.push((await kit.startup([cli, '--sandbox', '--seed=none'])).ms);
  }

  // Analytics: each tool through the runner, on the seeded business; the first answer, then the cache.
  const stripe = await createStripeClient({
    apiKey: kit.key,
    apiVersion: PINNED_API_VERSION,
    timeoutMs: 10_000,
    maxNetworkRetries: 0,
    apiBase: sandbox.url,
  });
  const settings = loadConfig({
    flags: { sandbox: true, tools: 'all' },
    env: {},
    defaultApiVersion: PINNED_API_VERSION,
  });
  const client = await inProcessClient(settings, stripe);
  const analytics: Record<string, { requests: number; objects: string; p50_ms: number; cached_ms: number }> =
    {};
  for (const [name, args] of ANALYTICS) {
    const fresh: number[] = [];
    let data: Record<string, unknown> = {};
    for (let i = 0; i < runs; i++) {
      const [r, ms] = await time(() => client.callTool({ name, arguments: { ...args, refresh: true } }));
      data = r.structuredContent as Record<string, unknown>;
      fresh.push(ms);
    }
    const [, cachedMs] = await time(() => client.callTool({ name, arguments: args }));
    analytics[name] = {
      requests: data.requests as number,
      objects: String(data.coverage).split(',')[0]!,
      p50_ms: round(median(fresh), 1),
      cached_ms: round(cachedMs, 2),
    };
  }
  await client.close();
  await sandbox.close();

  // Docs search: the built index (dist/docs-index.json) loaded as the server loads it on the first
  // search, against building it from the corpus; then each question, many times.
  const file = join(kit.root, 'dist', 'docs-index.json');
  const json = readFileSync(file, 'utf8');
  const loads: number[] = [];
  for (let i = 0; i < runs; i++) loads.push((await time(() => MiniSearch.loadJSON(json, INDEX_OPTIONS)))[1]);
  const [, buildMs] = await time(() => buildIndex());
  searchDocumentation('warm up');
  const perQuery: number[] = [];
  const rounds = kit.quick ? 5 : 20;
  let first = 0;
  for (let i = 0; i < rounds; i++)
    for (const [q, expected] of QUESTIONS) {
      const [hits, ms] = await time(() => searchDocumentation(q, 3));
      perQuery.push(ms);
      if (i === 0 && (hits[0]?.id === expected || hits[0]?.id.startsWith(`${expected}#`))) first++;
    }

  return {
    seed: {
      in_process_ms: round(seedMs, 0),
      sandbox_initialize_ms: round(median(seeded), 0),
      sandbox_seed_none_initialize_ms: round(median(empty), 0),
    },
    analytics,
    docs_search: {
      passages: (JSON.parse(json) as { documentCount: number }).documentCount,
      index_bytes: json.length,
      load_ms: round(median(loads), 1),
      build_from_corpus_ms: round(buildMs, 0),
      query_p50_ms: round(median(perQuery), 3),
      query_p99_ms: round(pct(perQuery, 99), 3),
      questions: QUESTIONS.length,
      first: first,
    },
  };
}
