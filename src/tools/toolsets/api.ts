import { z } from 'zod';
import { docsUrl, match, search, type Endpoint } from '../../catalog/index.js';
import { redactSecrets } from '../../log.js';
import { classify, moneyFor } from '../../money/model.js';
import { lowerCurrencies } from '../../util/canonical.js';
import { fitToBudget, project } from '../budget.js';
import { defineTool, READ, ToolInputError, type ToolContext } from '../define-tool.js';

const LOCAL = { ...READ, openWorldHint: false };
const paramsInput = z
  .record(z.string(), z.unknown())
  .optional()
  .describe("Stripe's parameters, nested as in the API reference");
const fieldsInput = z
  .array(z.string())
  .optional()
  .describe('Dotted paths to keep, e.g. ["id","status","customer.email"]');

function endpointFor(method: 'GET' | 'POST' | 'DELETE', path: string) {
  if (!/^\/(v1|v2)\//.test(path) || path.includes('..') || path.includes('?')) {
    throw new ToolInputError(
      'path',
      'pass an API path such as /v1/customers/cus_123 (no host, no query string: put parameters in params).',
    );
  }
  const found = match(method, path);
  if (!found) {
    const hint = search(path.replace(/\/(v1|v2)\//, ' ').replace(/[_/]/g, ' '), 3).map(
      (r) => `${r.endpoint.method} ${r.endpoint.path}`,
    );
    throw new ToolInputError(
      'path',
      `no ${method} endpoint of the Stripe API matches ${path}.${hint.length ? ` Similar: ${hint.join(', ')}.` : ''} Use stripe_api_search to find one.`,
    );
  }
  return found;
}

const result = z.object({
  result: z.record(z.string(), z.unknown()),
  truncated: z.boolean(),
  note: z.string().nullable(),
});

const RESOURCE_BY_PREFIX: Record<string, string> = {
  acct: '/v1/accounts',
  bps: '',
  ch: '/v1/charges',
  cn: '/v1/credit_notes',
  cs: '/v1/checkout/sessions',
  cus: '/v1/customers',
  dp: '/v1/disputes',
  evt: '/v1/events',
  ii: '/v1/invoiceitems',
  in: '/v1/invoices',
  pi: '/v1/payment_intents',
  plink: '/v1/payment_links',
  pm: '/v1/payment_methods',
  po: '/v1/payouts',
  price: '/v1/prices',
  prod: '/v1/products',
  promo: '/v1/promotion_codes',
  qt: '/v1/quotes',
  re: '/v1/refunds',
  seti: '/v1/setup_intents',
  si: '/v1/subscription_items',
  sub: '/v1/subscriptions',
  tr: '/v1/transfers',
  txn: '/v1/balance_transactions',
  txr: '/v1/tax_rates',
  we: '/v1/webhook_endpoints',
};

const SEARCHABLE = [
  'customers',
  'charges',
  'payment_intents',
  'invoices',
  'prices',
  'products',
  'subscriptions',
] as const;

export const apiTools = [
  defineTool({
    name: 'stripe_api_search',
    title: 'Search Stripe API endpoints',
    description:
      'Find Stripe API endpoints by keywords (e.g. "create payout", "tax rates"). Returns method, path, summary, class.',
    toolset: 'api',
    annotations: LOCAL,
    input: { query: z.string().min(2), limit: z.number().int().min(1).max(25).optional() },
    output: z.object({
      results: z.array(
        z.object({
          method: z.string(),
          path: z.string(),
          summary: z.string(),
          class: z.enum(['read', 'write', 'money']),
        }),
      ),
    }),
    handler({ query, limit }) {
      const results = search(query, limit ?? 8).map(({ endpoint: e }) => ({
        method: e.method,
        path: e.path,
        summary: e.summary,
        class: classify(e),
      }));
      return Promise.resolve({ results });
    },
  }),
  defineTool({
    name: 'stripe_api_details',
    title: 'Stripe API endpoint details',
    description:
      'Parameters of one endpoint (name, type, required, enum values, description) and its policy class.',
    toolset: 'api',
    annotations: LOCAL,
    input: {
      method: z.enum(['GET', 'POST', 'DELETE']),
      path: z.string().describe('Template or concrete, e.g. /v1/payouts'),
    },
    output: z.object({
      method: z.string(),
      path: z.string(),
      summary: z.string(),
      class: z.enum(['read', 'write', 'money']),
      docs_url: z.string(),
      params: z.array(
        z.object({
          name: z.string(),
          type: z.string(),
          required: z.boolean(),
          enum: z.array(z.string()).nullable(),
          keys: z.array(z.string()).nullable(),
          description: z.string(),
        }),
      ),
    }),
    handler({ method, path }) {
      const concrete = path.replace(/\{(\w+)\}/g, 'x');
      const { endpoint: e } = endpointFor(method, concrete);
      return Promise.resolve({
        method: e.method,
        path: e.path,
        summary: e.summary,
        class: classify(e),
        docs_url: docsUrl(e),
        params: e.params.map((p) => ({
          name: p.n,
          type: p.t,
          required: p.r === 1,
          enum: p.e ?? null,
          keys: p.k ?? null,
          description: p.d ?? '',
        })),
      });
    },
  }),
  defineTool({
    name: 'stripe_api_read',
    title: 'Read any Stripe API endpoint',
    description:
      'GET any Stripe endpoint (retrieve, list, search) with its params. Large results are cut; use fields and limit.',
    toolset: 'api',
    annotations: READ,
    input: {
      path: z.string().describe('e.g. /v1/payouts or /v1/balance_transactions/txn_123'),
      params: paramsInput,
      fields: fieldsInput,
    },
    output: result,
    async handler({ path, params, fields }, ctx) {
      endpointFor('GET', path);
      const raw = await getRaw(ctx, path, params);
      return fitToBudget(project(stripLastResponse(raw), fields));
    },
  }),
  defineTool({
    name: 'stripe_api_write',
    title: 'Write to any Stripe API endpoint',
    description:
      'POST or DELETE any Stripe endpoint with its params. Same policy as named tools: money endpoints are capped and confirmed.',
    toolset: 'api',
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    input: {
      method: z.enum(['POST', 'DELETE']),
      path: z.string().describe('e.g. /v1/payouts'),
      params: paramsInput,
      fields: fieldsInput,
    },
    output: result,
    async handler({ method, path, params, fields }, ctx) {
      const { endpoint } = endpointFor(method, path);
      checkParamNames(endpoint, params ?? {});
      const sent = lowerCurrencies(params ?? {});
      // The SDK sends parameters in the body only for POST; a DELETE takes them in the query string.
      const raw = (
        method === 'DELETE'
          ? await ctx.stripe.rawRequest('DELETE', `${path}${await queryOf(sent)}`, undefined, ctx.request)
          : await ctx.stripe.rawRequest(method, path, sent, ctx.request)
      ) as Record<string, unknown>;
      return fitToBudget(project(stripLastResponse(raw), fields));
    },
    effect: ({ method, path }) => {
      const found = match(method, path);
      // An unknown path is refused by the handler; until then it counts as moving money (fail closed).
      const cls = found ? classify(found.endpoint) : 'money';
      return { moneyMoving: cls === 'money', destructive: method === 'DELETE' || cls === 'money' };
    },
    money: async ({ method, path, params }, ctx) => {
      const found = endpointFor(method, path);
      if (classify(found.endpoint) !== 'money') return null;
      try {
        return await moneyFor(found.endpoint.id, { params: params ?? {}, id: found.pathParams.id }, ctx);
      } catch (err) {
        // Name the argument as the caller wrote it: params.amount, not amount.
        if (err instanceof ToolInputError) throw new ToolInputError(`params.${err.param}`, err.message);
        throw err;
      }
    },
  }),
  defineTool({
    name: 'search_stripe_resources',
    title: 'Search Stripe resources',
    description:
      "Stripe Search over the resources listed in resource. Query language: email:'a@b.co' AND metadata['k']:'v', amount>1000, name~'jen'.",
    toolset: 'api',
    annotations: READ,
    input: {
      resource: z.enum(SEARCHABLE),
      query: z.string().min(1),
      limit: z.number().int().min(1).max(100).optional(),
      page: z.string().optional().describe('next_page of the previous result'),
      fields: fieldsInput,
    },
    output: z.object({
      data: z.array(z.record(z.string(), z.unknown())),
      has_more: z.boolean(),
      next_page: z.string().nullable(),
      truncated: z.boolean(),
      note: z.string().nullable(),
    }),
    async handler({ resource, query, limit, page, fields }, ctx) {
      const raw = (await getRaw(ctx, `/v1/${resource}/search`, {
        query,
        ...(limit ? { limit } : {}),
        ...(page ? { page } : {}),
      })) as {
        data: Record<string, unknown>[];
        has_more: boolean;
        next_page?: string | null;
      };
      const fitted = fitToBudget(project({ object: 'list', data: raw.data }, fields));
      return {
        data: (fitted.result.data as Record<string, unknown>[]) ?? [],
        has_more: raw.has_more || fitted.truncated,
        next_page: raw.next_page ?? null,
        truncated: fitted.truncated,
        note: fitted.note,
      };
    },
  }),
  defineTool({
    name: 'fetch_stripe_resources',
    title: 'Fetch Stripe objects by id',
    description:
      'Fetch objects by id (cus_, pi_, ch_, in_, sub_, prod_, price_, re_, dp_, cs_, pm_, po_, tr_, acct_, …); the type comes from the prefix.',
    toolset: 'api',
    annotations: READ,
    input: { ids: z.array(z.string()).min(1).max(20), fields: fieldsInput },
    output: z.object({
      results: z.array(
        z.object({
          id: z.string(),
          found: z.boolean(),
          object: z.record(z.string(), z.unknown()).nullable(),
          error: z.string().nullable(),
        }),
      ),
      truncated: z.boolean(),
      note: z.string().nullable(),
    }),
    async handler({ ids, fields }, ctx) {
      const results = await Promise.all(
        ids.map(async (id) => {
          const prefix = /^([a-z]+)_/.exec(id)?.[1] ?? (id.startsWith('cs_') ? 'cs' : '');
          const base = RESOURCE_BY_PREFIX[prefix];
          if (!base)
            return {
              id,
              found: false,
              object: null,
              error: `unknown id prefix "${prefix}_": use stripe_api_read with the object's path`,
            };
          try {
            const obj = await getRaw(ctx, `${base}/${encodeURIComponent(id)}`);
            return { id, found: true, object: project(stripLastResponse(obj), fields), error: null };
          } catch (err) {
            // Caught here, not by the runner: redact as the runner's error mapping does.
            return { id, found: false, object: null, error: redactSecrets((err as Error).message) };
          }
        }),
      );
      const fitted = fitToBudget({ results });
      return {
        results: fitted.result.results as typeof results,
        truncated: fitted.truncated,
        note: fitted.note,
      };
    },
  }),
  defineTool({
    name: 'search_stripe_documentation',
    title: 'Search Stripe API documentation',
    description:
      'Offline search of the Stripe API reference, guides (idempotency, pagination, declines, test cards, webhooks, Connect, billing, keys, 3DS) and these docs.',
    toolset: 'api',
    annotations: LOCAL,
    input: { query: z.string().min(2), limit: z.number().int().min(1).max(20).optional() },
    output: z.object({
      results: z.array(z.object({ kind: z.string(), title: z.string(), text: z.string(), url: z.string() })),
    }),
    async handler({ query, limit }, ctx) {
      // Loaded on the first search: start-up neither evaluates the search library nor reads the index.
      const { searchDocumentation } = await import('../../docsearch/index.js');
      const results = searchDocumentation(query, limit ?? 5).map(({ kind, title, text, url }) => ({
        kind,
        title,
        text,
        url,
      }));
      if (results.length === 0)
        ctx.note('Nothing matched: try other words, or stripe_api_search for an endpoint by name.');
      return { results };
    },
  }),
];

/** A GET through the SDK: parameters go in the query string, in Stripe's bracket encoding. */
async function getRaw(
  ctx: ToolContext,
  path: string,
  params?: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  return (await ctx.stripe.rawRequest('GET', `${path}${await queryOf(params)}`, undefined)) as Record<
    string,
    unknown
  >;
}

/** `?a=1&b[c]=2`, in Stripe's bracket encoding; empty without parameters. */
async function queryOf(params: Record<string, unknown> | undefined): Promise<string> {
  if (!params || Object.keys(params).length === 0) return '';
  // Loaded on first use: qs and its dependencies cost start-up time a server may never need.
  const { default: qs } = await import('qs');
  return `?${qs.stringify(params, { arrayFormat: 'indices' })}`;
}

/**
 * Parameters the endpoint does not take are refused before anything is sent (Stripe would create a
 * customer without the email given as `emial`), at the top level and one level down where the catalog
 * knows the keys, naming the accepted names and the nearest one.
 */
function checkParamNames(ep: Endpoint, params: Record<string, unknown>): void {
  const known = new Map(ep.params.map((p) => [p.n, p]));
  for (const [name, value] of Object.entries(params)) {
    if (name === 'expand') continue;
    const p = known.get(name);
    if (!p) throw unknownParam(ep, `params.${name}`, name, [...known.keys()]);
    if (p.k && value && typeof value === 'object' && !Array.isArray(value)) {
      for (const sub of Object.keys(value)) {
        if (!p.k.includes(sub)) throw unknownParam(ep, `params.${name}.${sub}`, sub, p.k);
      }
    }
  }
}

function unknownParam(ep: Endpoint, at: string, name: string, accepted: string[]): ToolInputError {
  const near = nearest(name, accepted);
  return new ToolInputError(
    at,
    `${ep.method} ${ep.path} has no parameter "${name}".${near ? ` Did you mean "${near}"?` : ''} ${
      accepted.length ? `It takes: ${accepted.join(', ')}.` : 'It takes no parameters (besides expand).'
    } See stripe_api_details for their types.`,
  );
}

/** The accepted name closest to `name` by edit distance, if it is close enough to be a likely typo. */
function nearest(name: string, accepted: string[]): string | undefined {
  let best: { n: string; d: number } | undefined;
  for (const n of accepted) {
    const d = editDistance(name.toLowerCase(), n.toLowerCase());
    if (!best || d < best.d) best = { n, d };
  }
  return best && best.d <= Math.max(2, Math.floor(name.length / 3)) ? best.n : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** The SDK attaches `lastResponse` (headers) to raw results; it is not Stripe's object. */
function stripLastResponse(raw: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...raw };
  delete rest.lastResponse;
  return rest;
}
