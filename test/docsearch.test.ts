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
import { callTool, cleanEnv, CLI, startStack, type Stack } from './helpers.js';

const root = join(import.meta.dirname, '..');

/** Question → the id of the passage that answers it (a guide or doc name covers its sections). */
export const QUESTIONS: [string, string][] = [
  ['idempotency', 'guide:idempotency'],
  ['idempotency key', 'guide:idempotency'],
  ['retry', 'guide:idempotency'],
  ['how do I retry a request safely after a timeout', 'guide:idempotency'],
  ['same idempotency key different parameters error', 'guide:idempotency#same-key-different-parameters'],
  ['pagination', 'guide:pagination'],
  ['how do I get the next page of customers', 'guide:pagination'],
  ['starting_after cursor has_more', 'guide:pagination'],
  ['expand nested objects in the response', 'guide:pagination#expanding-related-objects'],
  ['auto pagination in node', 'guide:pagination#auto-pagination-in-the-sdks'],
  ['card_declined insufficient_funds', 'guide:errors-and-declines'],
  ['what does do_not_honor mean', 'guide:errors-and-declines'],
  ['error types and http status codes', 'guide:errors-and-declines#error-types-and-statuses'],
  ['why was the card declined', 'guide:errors-and-declines'],
  ['test card numbers', 'guide:test-cards'],
  ['how do I simulate a declined card in test mode', 'guide:test-cards#payment-methods-that-decline'],
  ['test a dispute', 'guide:test-cards#authentication-and-disputes'],
  ['verify webhook signature', 'guide:webhook-signatures'],
  ['Stripe-Signature header', 'guide:webhook-signatures#verifying-the-stripe-signature-header'],
  ['webhook delivered twice out of order', 'guide:webhook-signatures#answer-fast-work-later'],
  ['connected account Stripe-Account header', 'guide:connect'],
  ['destination charge application fee', 'guide:connect#charge-types'],
  ['onboard a connected account', 'guide:connect#accounts-and-onboarding'],
  ['subscription status past_due', 'guide:subscriptions#subscription-statuses'],
  ['what happens when a subscription renewal payment fails', 'guide:subscriptions'],
  ['proration when upgrading a subscription', 'guide:subscriptions#changing-a-subscription'],
  ['invoice lifecycle draft open paid', 'guide:subscriptions#invoice-statuses'],
  ['apply a coupon to a subscription', 'guide:subscriptions#discounts-and-coupons'],
  ['restricted key permissions', 'guide:restricted-keys'],
  ['permission_error 403', 'guide:restricted-keys'],
  ['3D Secure', 'guide:3d-secure'],
  ['requires_action next_action redirect', 'guide:3d-secure'],
  ['authentication_required off session', 'guide:3d-secure#off-session-payments'],
  ['strong customer authentication SCA', 'guide:3d-secure'],
  ['how do I refund part of a payment', 'endpoint:POST /v1/refunds'],
  ['create a customer', 'endpoint:POST /v1/customers'],
  ['capture a payment intent', 'endpoint:POST /v1/payment_intents/{intent}/capture'],
  ['cancel a subscription immediately', 'endpoint:DELETE /v1/subscriptions/{subscription_exposed_id}'],
  ['list invoices', 'endpoint:GET /v1/invoices'],
  ['create a checkout session', 'endpoint:POST /v1/checkout/sessions'],
  ['create a payout to my bank', 'endpoint:POST /v1/payouts'],
  ['customer portal session', 'endpoint:POST /v1/billing_portal/sessions'],
  ['search customers by email', 'endpoint:GET /v1/customers/search'],
  ['amount_capturable', 'field:payment_intent.amount_capturable'],
  ['balance transaction object', 'object:balance_transaction'],
  ['daily money limit', 'project:security#money-limits'],
  ['human confirmation of payments', 'project:security#human-confirmation'],
  ['metrics endpoint prometheus', 'project:deploy#metrics'],
];

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
