// search_stripe_documentation answers the questions people ask: a fixed list of questions, each with
// the passage that answers it. At least 90% must rank it first and every one must have it in the top 3.
// Then the index itself: fresh against the spec (skipped without ../shared), built into dist/ by the
// build and loaded only on the first search.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCorpusFrom, SPEC_PATH } from '../src/docsearch/api-corpus.js';
import { searchDocumentation } from '../src/docsearch/index.js';
import { QUESTIONS } from './fixtures/doc-questions.js';
import { callTool, cleanEnv, CLI, startStack, type Stack } from './helpers.js';

const root = join(import.meta.dirname, '..');

const matches = (id: string, expected: string) => id === expected || id.startsWith(`${expected}#`);

describe('docs search answers the questions', () => {
  it(`${QUESTIONS.length} questions: at least 90% rank the answer first, all within the top 3`, () => {
    const ranks = QUESTIONS.map(([q, expected]) => {
      const ids = searchDocumentation(q, 3).map((r) => r.id);
      return { q, expected, ids, rank: ids.findIndex((id) => matches(id, expected)) };
    });
    const first = ranks.filter((r) => r.rank === 0).length;
    const notFirst = ranks.filter((r) => r.rank !== 0);
    console.log(
      `docs search: ${first}/${QUESTIONS.length} first; not first: ${notFirst.map((r) => `"${r.q}" → ${r.ids.join(', ')}`).join('; ') || 'none'}`,
    );
    expect(QUESTIONS.length).toBeGreaterThanOrEqual(40);
    expect(ranks.filter((r) => r.rank < 0).map((r) => `${r.q} → ${r.ids.join(', ')}`)).toEqual([]);
    expect(first / QUESTIONS.length).toBeGreaterThanOrEqual(0.9);
  });

  it('tolerates typos and word forms', () => {
    expect(searchDocumentation('idempotncy', 1)[0]!.id).toMatch(/^guide:idempotency/);
    expect(searchDocumentation('paginating lists', 1)[0]!.id).toMatch(/^guide:pagination/);
    expect(searchDocumentation('refunding', 3).map((r) => r.id)).toContain('endpoint:POST /v1/refunds');
  });
});

describe('the index', () => {
  it('the API corpus is what the OpenAPI spec generates (npm run docs:corpus)', (ctx) => {
    const spec = join(root, SPEC_PATH);
    if (!existsSync(spec)) ctx.skip(`${SPEC_PATH} is absent: the corpus freshness check needs it`);
    const fresh = apiCorpusFrom(
      JSON.parse(readFileSync(spec, 'utf8')),
      JSON.parse(readFileSync(join(root, 'src/catalog/endpoints.json'), 'utf8')),
    );
    const committed = JSON.parse(readFileSync(join(root, 'src/docsearch/api-corpus.json'), 'utf8'));
    expect(committed.apiVersion).toBe('2024-04-10');
    expect(committed.docs.length).toBe(fresh.docs.length);
    expect(committed).toEqual(fresh);
  });
});

describe('through the tool, as built', () => {
  let st: Stack;
  beforeAll(async () => {
    st = await startStack();
  });
  afterAll(() => st?.close());

  it('returns passages with their kind and a URL, says it is offline, and says so when nothing matches', async () => {
    const { tools } = await st.client.listTools();
    const tool = tools.find((t) => t.name === 'search_stripe_documentation')!;
    expect(tool.description).toMatch(/offline/i);
    const { data } = await st.call('search_stripe_documentation', { query: 'refund part of a payment' });
    expect(data.results[0]).toMatchObject({
      kind: 'endpoint',
      title: expect.stringContaining('POST /v1/refunds'),
      url: 'https://docs.stripe.com/api/refunds/create',
    });
    // The answer to "part of a payment": refund only part of a charge, with the amount parameter.
    expect(data.results[0].text).toMatch(/refund only part of a charge.*Parameters: amount, /);
    const guide = await st.call('search_stripe_documentation', { query: 'idempotency' });
    expect(guide.data.results[0]).toMatchObject({ kind: 'guide', url: 'docs/guides/idempotency.md' });
    expect(guide.data.results[0].text).toMatch(/never charges twice/);
    const none = await st.call('search_stripe_documentation', { query: 'zqxv wkkj' });
    expect(none.data.results).toEqual([]);
    expect(none.text).toMatch(/Nothing matched/);
  });

  it('the built server searches the index the build wrote (dist/docs-index.json), with the same answers', async () => {
    expect(
      existsSync(join(root, 'dist', 'docs-index.json')),
      'npm run build writes dist/docs-index.json',
    ).toBe(true);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, '--sandbox', '--seed=none'],
      env: cleanEnv(),
      stderr: 'ignore',
    });
    const client = new Client({ name: 'docs-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      for (const [query] of QUESTIONS.slice(0, 10)) {
        const built = await callTool(client, 'search_stripe_documentation', { query, limit: 3 });
        expect(built.data.results.map((r: { url: string }) => r.url)).toEqual(
          searchDocumentation(query, 3).map((r) => r.url),
        );
      }
    } finally {
      await client.close();
    }
  });
});
