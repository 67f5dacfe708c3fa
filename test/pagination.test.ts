import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers.js';

let s: Stack;
const ids: string[] = [];
beforeAll(async () => {
  s = await startStack();
  for (let i = 0; i < 25; i++) ids.push((await s.stripe.customers.create({ email: `p${i}@example.com` })).id);
  ids.reverse(); // newest first, as Stripe lists
});
afterAll(async () => {
  await s.close();
});

describe('pagination through list tools', () => {
  it('walks every page with next_starting_after, newest first, no gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const page = (
        await s.call('list_customers', { limit: 10, ...(cursor ? { starting_after: cursor } : {}) })
      ).data;
      pages++;
      seen.push(...page.data.map((c: { id: string }) => c.id));
      if (!page.has_more) {
        expect(page.next_starting_after).toBeNull();
        break;
      }
      cursor = page.next_starting_after;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(ids);
  });

  it('ending_before pages backwards', async () => {
    const page = (await s.call('list_customers', { limit: 5, ending_before: ids[10] })).data;
    expect(page.data.map((c: { id: string }) => c.id)).toEqual(ids.slice(5, 10));
    expect(page.has_more).toBe(true);
  });

  it('a page too large for the output budget is cut, and its cursor continues right after the last item', async () => {
    const big = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'.repeat(400)]));
    const fat: string[] = [];
    for (let i = 0; i < 12; i++)
      fat.push((await s.stripe.customers.create({ email: `fat${i}@example.com`, metadata: big })).id);
    const r = await s.call('list_customers', { limit: 100 });
    expect(r.isError).toBe(false);
    expect(JSON.stringify(r.result.structuredContent).length).toBeLessThan(100_000);
    expect(r.data.has_more).toBe(true);
    expect(r.text).toMatch(/Result cut to \d+ of \d+ items.*continues after the last item/s);
    const kept = r.data.data.map((c: { id: string }) => c.id);
    expect(r.data.next_starting_after).toBe(kept.at(-1));
    // Walking on from each cut page reaches every customer exactly once.
    const seen = [...kept];
    let page = r.data;
    while (page.has_more) {
      page = (await s.call('list_customers', { limit: 100, starting_after: page.next_starting_after })).data;
      seen.push(...page.data.map((c: { id: string }) => c.id));
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining([...fat, ...ids]));
  });

  it('limit bounds are enforced before calling Stripe', async () => {
    const r = await s.call('list_customers', { limit: 101 });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/"limit": Too big: expected number to be <=100/);
  });
});
