import type { RouteTable } from '../app.js';
import { invalid } from '../errors.js';
import { int, str } from '../params.js';
import type { StripeObject } from '../store.js';

/** Searchable fields per resource, as Stripe documents them (subset). */
const FIELDS: Record<string, { object: string; fields: string[] }> = {
  customers: { object: 'customer', fields: ['created', 'email', 'metadata', 'name', 'phone'] },
  charges: {
    object: 'charge',
    fields: ['amount', 'created', 'currency', 'customer', 'metadata', 'payment_intent', 'refunded', 'status'],
  },
  payment_intents: {
    object: 'payment_intent',
    fields: ['amount', 'created', 'currency', 'customer', 'metadata', 'status'],
  },
  invoices: {
    object: 'invoice',
    fields: ['created', 'currency', 'customer', 'metadata', 'number', 'status', 'subscription', 'total'],
  },
  prices: {
    object: 'price',
    fields: ['active', 'created', 'currency', 'lookup_key', 'metadata', 'product', 'type'],
  },
  products: { object: 'product', fields: ['active', 'created', 'description', 'metadata', 'name', 'url'] },
  subscriptions: { object: 'subscription', fields: ['created', 'customer', 'metadata', 'status'] },
};

interface Clause {
  negate: boolean;
  field: string;
  key?: string;
  op: ':' | '~' | '>' | '<' | '>=' | '<=';
  value: string | number | null;
}

const CLAUSE =
  /^\s*(-)?\s*([a-z_]+(?:\.[a-z_]+)*)(?:\[(['"])(.*?)\3\])?\s*(>=|<=|:|~|>|<)\s*(?:(['"])(.*?)\6|(-?\d+(?:\.\d+)?)|(null))\s*/;

/** Stripe's Search query language, the subset tools need: clauses joined by AND or by OR (not both). */
export function parseQuery(query: string, resource: string): { clauses: Clause[]; join: 'AND' | 'OR' } {
  const spec = FIELDS[resource]!;
  const clauses: Clause[] = [];
  const joins = new Set<string>();
  let rest = query;
  for (;;) {
    const m = CLAUSE.exec(rest);
    if (!m)
      throw invalid(
        `Invalid search query near "${rest.trim().slice(0, 40)}": expected a clause like email:'jenny@example.com'.`,
        'query',
      );
    const [whole, neg, field, , key, op, , quoted, numeric, isNull] = m;
    if (!spec.fields.includes(field!)) {
      throw invalid(
        `Field '${field}' is not supported for search on ${resource}. Supported: ${spec.fields.join(', ')}.`,
        'query',
      );
    }
    if (field === 'metadata' && key === undefined)
      throw invalid("metadata needs a key: metadata['order_id']:'123'.", 'query');
    if (op === '~' && (quoted ?? '').length < 3)
      throw invalid('The ~ (substring) operator needs at least 3 characters.', 'query');
    clauses.push({
      negate: neg === '-',
      field: field!,
      key,
      op: op as Clause['op'],
      value: isNull ? null : numeric !== undefined ? Number(numeric) : (quoted ?? ''),
    });
    rest = rest.slice(whole.length);
    if (rest.trim() === '') break;
    const j = /^\s*(AND|OR)\s+/i.exec(rest);
    if (!j)
      throw invalid(
        `Invalid search query near "${rest.trim().slice(0, 40)}": join clauses with AND or OR.`,
        'query',
      );
    joins.add(j[1]!.toUpperCase());
    rest = rest.slice(j[0].length);
  }
  if (joins.size > 1) throw invalid('A search query cannot mix AND and OR.', 'query');
  return { clauses, join: joins.has('OR') ? 'OR' : 'AND' };
}

function valueOf(o: StripeObject, c: Clause): unknown {
  if (c.field === 'metadata') return (o.metadata as Record<string, string>)?.[c.key!];
  if (c.field === 'subscription')
    return (
      (o.parent as { subscription_details?: { subscription?: string } } | null)?.subscription_details
        ?.subscription ?? null
    );
  return c.field
    .split('.')
    .reduce<unknown>(
      (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
      o,
    );
}

function test(o: StripeObject, c: Clause): boolean {
  const raw = valueOf(o, c);
  const v = typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : '';
  let ok: boolean;
  if (c.op === ':')
    ok =
      c.value === null
        ? v === null || v === undefined
        : String(v ?? '').toLowerCase() === String(c.value).toLowerCase();
  else if (c.op === '~')
    ok = String(v ?? '')
      .toLowerCase()
      .includes(String(c.value).toLowerCase());
  else {
    const n = Number(v);
    const w = Number(c.value);
    ok = c.op === '>' ? n > w : c.op === '<' ? n < w : c.op === '>=' ? n >= w : n <= w;
  }
  return c.negate ? !ok : ok;
}

export function searchRoutes(routes: RouteTable): void {
  for (const [resource, spec] of Object.entries(FIELDS)) {
    routes.add('GET', `/v1/${resource}/search`, ({ store, params }) => {
      const query = str(params, 'query', { required: true });
      const limit = int(params, 'limit', { min: 1, max: 100 }) ?? 10;
      const page = str(params, 'page');
      const offset = page ? Number(Buffer.from(page, 'base64url').toString()) : 0;
      if (!Number.isInteger(offset) || offset < 0) throw invalid('Invalid page token.', 'page');
      const { clauses, join } = parseQuery(query, resource);
      const hits = [...store.all(spec.object)]
        .reverse()
        .filter((o) => o.deleted !== true)
        .filter((o) => (join === 'AND' ? clauses.every((c) => test(o, c)) : clauses.some((c) => test(o, c))));
      const data = hits.slice(offset, offset + limit);
      const more = offset + limit < hits.length;
      return {
        object: 'search_result',
        data,
        has_more: more,
        next_page: more ? Buffer.from(String(offset + limit)).toString('base64url') : null,
        url: `/v1/${resource}/search`,
      };
    });
  }
}
