// Generates src/docsearch/api-corpus.json, the Stripe API half of what search_stripe_documentation
// searches: every operation, parameter, resource object and field description in Stripe's OpenAPI
// spec (../shared/stripe-openapi/spec3.json, API 2024-04-10), plus the endpoints the installed SDK
// has and that spec predates (from the SDK catalog). Run `npm run docs:corpus`; a test fails when the
// committed file differs from what the spec generates (and skips when ../shared is absent).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Endpoint } from '../src/catalog/index.js';
import { apiCorpusFrom, SPEC_PATH, type OpenApiSpec } from '../src/docsearch/api-corpus.js';

const root = join(import.meta.dirname, '..');
const spec = join(root, SPEC_PATH);
if (!existsSync(spec)) {
  process.stderr.write(`${SPEC_PATH} is not here: the corpus is generated from it; nothing written\n`);
  process.exit(1);
}
const corpus = apiCorpusFrom(
  JSON.parse(readFileSync(spec, 'utf8')) as OpenApiSpec,
  JSON.parse(readFileSync(join(root, 'src/catalog/endpoints.json'), 'utf8')) as { endpoints: Endpoint[] },
);
writeFileSync(join(root, 'src/docsearch/api-corpus.json'), JSON.stringify(corpus) + '\n');
process.stderr.write(`wrote src/docsearch/api-corpus.json (${corpus.docs.length} passages)\n`);
