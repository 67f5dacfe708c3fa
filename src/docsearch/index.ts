import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import MiniSearch, { type Options, type SearchOptions } from 'minisearch';
import { stemmer } from 'stemmer';
import { findUp } from '../util/find-up.js';
import { docsPassages, type DocEntry, type DocKind } from './corpus.js';

// search_stripe_documentation: BM25 (MiniSearch) over the API reference, the guides and the project's
// docs, with field weights, English stemming, prefixes and typo tolerance. `npm run build` writes the
// index beside the bundle (dist/docs-index.json); it is read on the first search, not at start-up.
// Run from sources (tests, tsx), it is built from the corpus on the first search instead.

export const INDEX_FILE = 'docs-index.json';

/** Words that carry no meaning in a question ("how do I refund part of a payment"). */
const STOP = new Set(
  'a an and are as at be by can do does for from how i if in into is it its my of on or our so that the their then there this to use using was we what when where which who why will with you your'.split(
    ' ',
  ),
);

function processTerm(term: string): string | null {
  const word = term.toLowerCase();
  if (word.startsWith('_')) return word; // a whole snake_case name (see tokenize): matched as written
  return STOP.has(word) ? null : stemmer(word);
}

/** Guides answer questions; the reference answers "which endpoint": both above a field's one line. */
const KIND_BOOST: Record<DocKind, number> = {
  guide: 1.6,
  endpoint: 1.25,
  project: 1,
  object: 1,
  parameter: 0.85,
  field: 0.7,
};

/**
 * Words, and each snake_case name whole as well as in parts: `amount_capturable` finds the field of
 * that name first, and `amount` or `capturable` alone still find it. The whole name is marked with a
 * leading `_` so that a plain word's prefix search does not reach into it (`customer` is not a
 * prefix of `_customer_sessions`).
 */
function tokenize(text: string): string[] {
  return text.split(/[^\p{L}\p{N}_]+/u).flatMap((word) => {
    const parts = word.split('_').filter(Boolean);
    return parts.length > 1 ? [`_${parts.join('_')}`, ...parts] : parts;
  });
}

/** A verb in the question counts for endpoints of its method only ("create" is not `created`). */
const VERB_METHOD: Record<string, string> = {
  creat: 'POST',
  add: 'POST',
  updat: 'POST',
  list: 'GET',
  retriev: 'GET',
  delet: 'DELETE',
  remov: 'DELETE',
};

function boostDocument(_id: unknown, term: string, stored?: Record<string, unknown>): number {
  const kind = (stored?.kind as DocKind | undefined) ?? 'field';
  let boost = KIND_BOOST[kind] * ((stored?.prior as number | undefined) ?? 1);
  const method = VERB_METHOD[term];
  if (
    method &&
    (kind === 'endpoint' || kind === 'parameter') &&
    !(stored?.title as string).startsWith(`${method} `)
  )
    boost *= 0.3;
  return boost;
}

const DEFINITION = /^\s*(?:what(?:'s|\s+is|\s+are|\s+does)|define|meaning of)\b/i;
const DEFINES = new Set<DocKind>(['object', 'guide']);

export const INDEX_OPTIONS: Options<DocEntry> = {
  fields: ['name', 'keywords', 'text'],
  storeFields: ['title', 'kind', 'text', 'params', 'url', 'prior'],
  tokenize,
  processTerm,
  extractField: (doc, field) =>
    field === 'name' ? (doc.name ?? doc.title) : (doc as unknown as Record<string, string>)[field]!,
};

const SEARCH: SearchOptions = {
  boost: { name: 3, keywords: 2, text: 1 },
  // The last word may be unfinished ("idempot"); the others are whole words, matched as such.
  prefix: (term, i, terms) => i === terms.length - 1 && term.length >= 4,
  weights: { fuzzy: 0.45, prefix: 0.25 },
  fuzzy: (term) => (term.length >= 6 ? 0.3 : false),
  boostDocument,
};

/** Every passage: the generated API corpus plus the Markdown under docs/ (read from the repository). */
export function allPassages(): DocEntry[] {
  const api = JSON.parse(readFileSync(findUp(import.meta.url, ['api-corpus.json']), 'utf8')) as {
    docs: DocEntry[];
  };
  return [...docsPassages(findUp(import.meta.url, ['docs'])), ...api.docs];
}

export function buildIndex(passages: DocEntry[] = allPassages()): MiniSearch<DocEntry> {
  const index = new MiniSearch<DocEntry>(INDEX_OPTIONS);
  index.addAll(passages);
  return index;
}

let loaded: MiniSearch<DocEntry> | undefined;

/** The index, loaded on first use: the built file beside the bundle when there is one. */
export function docsIndex(): MiniSearch<DocEntry> {
  if (loaded) return loaded;
  const file = fileURLToPath(new URL(`./${INDEX_FILE}`, import.meta.url));
  loaded = existsSync(file)
    ? MiniSearch.loadJSON<DocEntry>(readFileSync(file, 'utf8'), INDEX_OPTIONS)
    : buildIndex();
  return loaded;
}

export interface DocResult {
  id: string;
  kind: DocKind;
  title: string;
  text: string;
  url: string;
}

/** The passages that best answer a question or keywords, best first. */
export function searchDocumentation(query: string, limit = 5): DocResult[] {
  // "What is a payment intent?" asks what a thing is (its object, a guide), not how to call it.
  const definition = DEFINITION.test(query);
  const options: SearchOptions = definition
    ? {
        ...SEARCH,
        boostDocument: (id, term, stored) =>
          boostDocument(id, term, stored) * (DEFINES.has(stored?.kind as DocKind) ? 2 : 1),
      }
    : SEARCH;
  return docsIndex()
    .search(query, options)
    .slice(0, limit)
    .map((r) => ({
      id: r.id as string,
      kind: r.kind as DocKind,
      title: r.title as string,
      text: r.params ? `${r.text as string} Parameters: ${r.params as string}.` : (r.text as string),
      url: r.url as string,
    }));
}
