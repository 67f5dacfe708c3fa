import { z } from 'zod';
import { churnOf, failuresOf, mrrOf, revenueOf, topCustomersOf } from '../../analytics/measures.js';
import { cached, coverage, MAX_PAGES, pageAll, spanOf, type Pages } from '../../analytics/pages.js';
import { periodInput, resolvePeriod, type Period } from '../../analytics/period.js';
import { declineAdvice } from '../../stripe/errors.js';
import { defineTool, READ, type ToolContext } from '../define-tool.js';

// Answers an operator asks for in plain words ("what's my MRR?"), worked out here from Stripe's own
// lists: each tool pages Stripe with at most MAX_PAGES requests, reports progress while it pages,
// keeps currencies apart and says exactly what it covered.

const money = z.number().int().describe('Minor units of its currency');

const about = {
  coverage: z.string().describe('What was read: how many objects, which days, which currencies'),
  complete: z.boolean().describe(`false: stopped after ${MAX_PAGES} pages; narrow the period`),
  requests: z.number().int(),
  cached: z.boolean(),
};

const periodOutput = z.object({ from: z.string(), to: z.string(), label: z.string() });
const periodOf = (p: Period) => ({
  from: new Date(p.from * 1000).toISOString(),
  to: new Date(p.to * 1000).toISOString(),
  label: p.label,
});

const refreshInput = { refresh: z.boolean().optional().describe('Skip the cached answer') };

const nowS = () => Math.floor(Date.now() / 1000);

/** What each tool works out: its answer, and what the reading covered. */
type Worked<T> = T & { complete: boolean; requests: number; coverage: string };

/** One cached answer per account and question; `open` (the period includes now) keeps it a minute. */
async function answer<T extends object>(
  ctx: ToolContext,
  tool: string,
  args: Record<string, unknown>,
  open: boolean,
  compute: () => Promise<Worked<T>>,
): Promise<T & { cached: boolean }> {
  const { refresh, ...question } = args;
  const { value, cachedAt } = await cached(
    ctx.stripe,
    `${tool}:${JSON.stringify(question)}`,
    open,
    refresh === true,
    compute,
  );
  if (cachedAt !== null)
    ctx.note(`Computed at ${new Date(cachedAt).toISOString()}; pass refresh=true for a fresh answer.`);
  if (!value.complete)
    ctx.note(
      `Stopped after ${value.requests} requests (${value.coverage}): totals are for what was read. Ask for a shorter period for exact totals.`,
    );
  return { ...value, cached: cachedAt !== null };
}

/** An answer about a period (resolved against now): cached as `answer` caches, open while it runs. */
function periodAnswer<T extends object>(
  ctx: ToolContext,
  tool: string,
  args: Parameters<typeof resolvePeriod>[0] & Record<string, unknown>,
  compute: (period: Period, now: number) => Promise<Worked<T>>,
): Promise<T & { cached: boolean }> {
  const now = nowS();
  const period = resolvePeriod(args, now);
  return answer(ctx, tool, args, period.to >= now, () => compute(period, now));
}

/** Every object of one list created in the period, newest first, bounded. */
function createdIn<T extends { id: string }>(
  ctx: ToolContext,
  period: Period,
  what: string,
  list: (params: {
    created: { gte: number; lt: number };
    limit: number;
    starting_after?: string;
  }) => Promise<{
    data: T[];
    has_more: boolean;
  }>,
): Promise<Pages<T>> {
  return pageAll((page) => list({ created: { gte: period.from, lt: period.to }, ...page }), ctx, what);
}

const currencies = (rows: { currency: string }[]) => rows.map((r) => r.currency);

/** Subscriptions of every status, with their discounts' coupons, for MRR and churn. */
function allSubscriptions(ctx: ToolContext) {
  return pageAll(
    (page) =>
      ctx.stripe.subscriptions.list({
        status: 'all',
        expand: ['data.discounts', 'data.discounts.source.coupon'],
        ...page,
      }),
    ctx,
    'subscriptions',
  );
}

export const analyticsTools = [
  defineTool({
    name: 'revenue_summary',
    title: 'Revenue summary',
    description:
      'What the account made in a period, per currency: gross, refunds, disputes, Stripe fees and net (payouts apart), from balance transactions.',
    toolset: 'analytics',
    annotations: READ,
    input: { ...periodInput, ...refreshInput },
    output: z.object({
      period: periodOutput,
      currencies: z.array(
        z.object({
          currency: z.string(),
          gross: money,
          refunds: money,
          disputes: money,
          fees: money,
          other: money,
          net: money,
          payouts: money,
          charges: z.number().int(),
          refund_count: z.number().int(),
          dispute_count: z.number().int(),
          summary: z.string(),
        }),
      ),
      ...about,
    }),
    async handler(args, ctx) {
      return periodAnswer(ctx, 'revenue_summary', args, async (period) => {
        const pages = await createdIn(ctx, period, 'balance transactions', (p) =>
          ctx.stripe.balanceTransactions.list(p),
        );
        const rows = revenueOf(pages.items);
        return {
          period: periodOf(period),
          currencies: rows,
          coverage: coverage(pages.items.length, 'balance transactions', period.label, currencies(rows)),
          complete: pages.complete,
          requests: pages.requests,
        };
      });
    },
  }),
  defineTool({
    name: 'mrr',
    title: 'Monthly recurring revenue',
    description:
      'MRR now, per currency and by price: active and past_due subscriptions at current prices and quantities, normalized per month, after discounts; trialing apart.',
    toolset: 'analytics',
    annotations: READ,
    input: { ...refreshInput },
    output: z.object({
      currencies: z.array(
        z.object({
          currency: z.string(),
          mrr: money,
          subscriptions: z.number().int(),
          trialing_mrr: money,
          trialing: z.number().int(),
          summary: z.string(),
          by_price: z.array(
            z.object({
              price: z.string(),
              product: z.string(),
              name: z.string().nullable(),
              interval: z.string(),
              subscriptions: z.number().int(),
              quantity: z.number().int(),
              mrr: money,
            }),
          ),
        }),
      ),
      ...about,
    }),
    async handler(args, ctx) {
      return answer(ctx, 'mrr', args, true, async () => {
        const subs = await allSubscriptions(ctx);
        const products = await pageAll((page) => ctx.stripe.products.list(page), ctx, 'products');
        const names = new Map(products.items.map((p) => [p.id, p.name]));
        const { rows, uncounted } = mrrOf(subs.items, names, nowS());
        if (uncounted > 0)
          ctx.note(
            `${uncounted} metered or tiered subscription items are not in MRR: their amount depends on usage.`,
          );
        return {
          currencies: rows,
          coverage: coverage(
            subs.items.length,
            'subscriptions of every status',
            `created ${spanOf(subs.items) ?? 'never'}`,
            currencies(rows),
          ),
          complete: subs.complete && products.complete,
          requests: subs.requests + products.requests,
        };
      });
    },
  }),
  defineTool({
    name: 'churn',
    title: 'Churn',
    description:
      'Churn over a period: logo churn (customers paying at its start who pay for nothing at its end) and revenue churn per currency (MRR of subscriptions that ended).',
    toolset: 'analytics',
    annotations: READ,
    input: { ...periodInput, ...refreshInput },
    output: z.object({
      period: periodOutput,
      customers_at_start: z.number().int(),
      customers_churned: z.number().int(),
      logo_churn_pct: z.number().nullable(),
      new_customers: z.number().int(),
      revenue: z.array(
        z.object({
          currency: z.string(),
          mrr_at_start: money,
          churned_mrr: money,
          revenue_churn_pct: z.number().nullable(),
          summary: z.string(),
        }),
      ),
      churned: z.array(z.object({ customer: z.string(), subscriptions: z.array(z.string()) })),
      ...about,
    }),
    async handler(args, ctx) {
      return periodAnswer(ctx, 'churn', args, async (period, now) => {
        const subs = await allSubscriptions(ctx);
        const result = churnOf(subs.items, period.from, Math.min(period.to, now));
        return {
          period: periodOf(period),
          ...result,
          coverage: coverage(
            subs.items.length,
            'subscriptions of every status',
            `churn over ${period.label}`,
            currencies(result.revenue),
          ),
          complete: subs.complete,
          requests: subs.requests,
        };
      });
    },
  }),
  defineTool({
    name: 'failed_payments',
    title: 'Failed payments',
    description:
      'Failed payments in a period grouped by decline code, most frequent first: count, amount per currency, what to do next, example payment ids.',
    toolset: 'analytics',
    annotations: READ,
    input: { ...periodInput, ...refreshInput },
    output: z.object({
      period: periodOutput,
      failed: z.number().int(),
      attempted: z.number().int(),
      by_code: z.array(
        z.object({
          code: z.string(),
          count: z.number().int(),
          amounts: z.array(z.object({ currency: z.string(), amount: money, display: z.string() })),
          next_action: z.string(),
          examples: z.array(z.string()),
        }),
      ),
      ...about,
    }),
    async handler(args, ctx) {
      return periodAnswer(ctx, 'failed_payments', args, async (period) => {
        const pages = await createdIn(ctx, period, 'charges', (p) => ctx.stripe.charges.list(p));
        const byCode = failuresOf(pages.items, declineAdvice);
        const kept = [...new Set(pages.items.map((c) => c.currency))].sort();
        return {
          period: periodOf(period),
          failed: byCode.reduce((s, r) => s + r.count, 0),
          attempted: pages.items.length,
          by_code: byCode,
          coverage: coverage(pages.items.length, 'charges', period.label, kept),
          complete: pages.complete,
          requests: pages.requests,
        };
      });
    },
  }),
  defineTool({
    name: 'top_customers',
    title: 'Top customers',
    description:
      'Customers ranked by net revenue (captured, less refunded and disputed) in a period, per currency, with name and email.',
    toolset: 'analytics',
    annotations: READ,
    input: {
      ...periodInput,
      limit: z.number().int().min(1).max(25).optional().describe('Per currency, default 10'),
      ...refreshInput,
    },
    output: z.object({
      period: periodOutput,
      currencies: z.array(
        z.object({
          currency: z.string(),
          total_net: money,
          without_customer: money,
          customers: z.array(
            z.object({
              customer: z.string(),
              name: z.string().nullable(),
              email: z.string().nullable(),
              net: money,
              display: z.string(),
              payments: z.number().int(),
              refunded: money,
              disputed: money,
            }),
          ),
        }),
      ),
      ...about,
    }),
    async handler(args, ctx) {
      return periodAnswer(ctx, 'top_customers', args, async (period) => {
        // With each charge's customer expanded: names and emails without a request per customer.
        const pages = await createdIn(ctx, period, 'charges', (p) =>
          ctx.stripe.charges.list({ ...p, expand: ['data.customer'] }),
        );
        const rows = topCustomersOf(pages.items, args.limit ?? 10);
        return {
          period: periodOf(period),
          currencies: rows,
          coverage: coverage(pages.items.length, 'charges', period.label, currencies(rows)),
          complete: pages.complete,
          requests: pages.requests,
        };
      });
    },
  }),
];
