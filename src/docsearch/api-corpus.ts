import { docsUrl, type Endpoint } from '../catalog/index.js';
import type { DocEntry } from './corpus.js';

// Stripe's OpenAPI spec → passages for the docs search: one per operation, parameter, resource object
// and field that the spec describes. Pure: scripts/gen-docs-corpus.ts writes the result, and the
// freshness test compares it with the committed file.

/** Where the spec is, from the repository root (it is not shipped; the generated corpus is). */
export const SPEC_PATH = '../shared/stripe-openapi/spec3.json';

interface Schema {
  description?: string;
  type?: string;
  enum?: string[];
  properties?: Record<string, Schema>;
  anyOf?: Schema[];
  'x-resourceId'?: string;
}

interface Operation {
  deprecated?: boolean;
  summary?: string;
  description?: string;
  parameters?: { name: string; in: string; description?: string; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

export interface OpenApiSpec {
  info: { version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

export interface ApiCorpus {
  apiVersion: string;
  docs: DocEntry[];
}

/** Products most accounts do not use: their endpoints rank below the core API's for the same words. */
const SPECIALIST =
  /^\/v[12]\/(?:test_helpers\/)?(?:issuing|treasury|terminal|climate|financial_connections|identity|apps|reporting|sigma|forwarding|tax\/registrations)\b/;

/** Parameters every list or write takes: the pagination and expand guides say it once. */
const COMMON = new Set(['expand', 'limit', 'starting_after', 'ending_before', 'page', 'metadata']);
const MAX_TEXT = 600;

/** Plain text from the spec's HTML and Markdown, cut at a sentence near `max`. */
export function plain(text: string | undefined, max = MAX_TEXT): string {
  const flat = (text ?? '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\[([^\]]+)\]\([^)]+\)/g, '$1')
    .replace(/&[a-z]+;/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const stop = cut.lastIndexOf('. ');
  return stop > max / 2 ? cut.slice(0, stop + 1) : `${cut.slice(0, cut.lastIndexOf(' '))}…`;
}

const typeOf = (s: Schema | undefined): string =>
  s?.enum ? `enum: ${s.enum.join(', ')}` : (s?.type ?? s?.anyOf?.map(typeOf).join(' | ') ?? 'object');

/** `refunds.create` → `Create refund`; `checkout.sessions.list` → `List checkout sessions`. */
function operationName(ep: Endpoint): string {
  const parts = ep.id.split('.');
  const verb = (parts.pop() ?? '')
    .replace(/~\d+$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(/^del$/, 'delete');
  const words = parts.join(' ').replace(/_/g, ' ');
  const noun = verb === 'list' ? words : words.replace(/ies$/, 'y').replace(/s$/, '');
  return `${verb.charAt(0).toUpperCase()}${verb.slice(1)} ${noun}`;
}

const apiUrl = (ep: Endpoint | undefined) => (ep ? docsUrl(ep) : 'https://docs.stripe.com/api');

/** `checkout.session` → `checkout/sessions`. */
const objectPath = (resourceId: string) =>
  resourceId
    .split('.')
    .map((p, i, all) => (i === all.length - 1 ? (p.endsWith('y') ? `${p.slice(0, -1)}ies` : `${p}s`) : p))
    .join('/');

const human = (resourceId: string) =>
  resourceId
    .split(/[._]/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');

/** An endpoint's passage: named as the SDK names its method, with its parameters beside the text. */
function endpointPassage(
  method: string,
  path: string,
  ep: Endpoint | undefined,
  description: string | undefined,
  params: string[],
  prior?: number,
): DocEntry {
  const route = `${method} ${path}`;
  const name = ep && operationName(ep);
  return {
    id: `endpoint:${route}`,
    kind: 'endpoint',
    title: name ? `${route} (${name})` : route,
    name: name ?? path,
    ...(prior !== undefined ? { prior } : {}),
    keywords: path,
    text: plain(description),
    params: params.filter((n) => !COMMON.has(n)).join(', '),
    url: apiUrl(ep),
  };
}

export function apiCorpusFrom(spec: OpenApiSpec, catalog: { endpoints: Endpoint[] }): ApiCorpus {
  const docs: DocEntry[] = [];
  // The SDK and the spec name path parameters differently (`{id}`, `{charge}`): match without names.
  const shape = (method: string, path: string) => `${method} ${path.replace(/\{[^}]+\}/g, '{}')}`;
  const byRoute = new Map(catalog.endpoints.map((e) => [shape(e.method, e.path), e]));
  const seen = new Set<string>();

  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [m, op] of Object.entries(methods)) {
      const method = m.toUpperCase();
      const route = `${method} ${path}`;
      const ep = byRoute.get(shape(method, path));
      seen.add(shape(method, path));
      const url = apiUrl(ep);
      const body = op.requestBody?.content?.['application/x-www-form-urlencoded']?.schema?.properties ?? {};
      const params: [string, Schema, string | undefined][] = [
        ...(op.parameters ?? [])
          .filter((p) => p.in === 'query')
          .map((p) => [p.name, p.schema ?? {}, p.description] as [string, Schema, string | undefined]),
        ...Object.entries(body).map(
          ([n, s]) => [n, s, s.description] as [string, Schema, string | undefined],
        ),
      ];
      // An alias the SDK does not call (`/v1/charges/{charge}/refunds`) or a deprecated operation
      // yields to the endpoint people use for the same thing; so, less, does a specialist product's.
      const prior = !ep || op.deprecated ? 0.5 : SPECIALIST.test(path) ? 0.8 : undefined;
      docs.push(
        endpointPassage(
          method,
          path,
          ep,
          op.description ?? op.summary ?? ep?.summary,
          params.map(([n]) => n),
          prior,
        ),
      );
      for (const [name, schema, description] of params) {
        if (COMMON.has(name)) continue;
        // Where the 2024 spec has no words for a parameter, the installed SDK's types may.
        const said = description ?? ep?.params.find((p) => p.n === name)?.d;
        if (!said) continue;
        docs.push({
          id: `parameter:${route}:${name}`,
          kind: 'parameter',
          title: `${route} · ${name}`,
          keywords: name,
          text: `${name} (${typeOf(schema)}): ${plain(said, 400)}`,
          url,
        });
      }
    }
  }
  // Endpoints newer than the spec: the SDK's own summary.
  for (const ep of catalog.endpoints) {
    if (seen.has(shape(ep.method, ep.path)) || !ep.summary) continue;
    docs.push(
      endpointPassage(
        ep.method,
        ep.path,
        ep,
        ep.summary,
        ep.params.map((p) => p.n),
      ),
    );
  }
  for (const schema of Object.values(spec.components.schemas)) {
    const id = schema['x-resourceId'];
    if (!id || !schema.description) continue;
    const url = `https://docs.stripe.com/api/${objectPath(id)}/object`;
    const fields = Object.entries(schema.properties ?? {});
    docs.push({
      id: `object:${id}`,
      kind: 'object',
      title: `The ${human(id)} object`,
      keywords: `${id} ${fields.map(([f]) => f).join(' ')}`,
      text: plain(schema.description),
      url,
    });
    for (const [field, f] of fields) {
      if (!f.description || f.description.length < 25 || field === 'object') continue;
      docs.push({
        id: `field:${id}.${field}`,
        kind: 'field',
        title: `${human(id)} · ${field}`,
        keywords: field,
        text: `${field} (${typeOf(f)}): ${plain(f.description, 400)}`,
        url,
      });
    }
  }
  return { apiVersion: spec.info.version, docs };
}
