// Writes dist/docs-index.json: the docs search's MiniSearch index over every passage (the API corpus,
// the guides, the project's docs), so the built server loads it on the first search instead of
// building it. Run by `npm run build` (scripts/bundle.mjs).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildIndex, INDEX_FILE } from '../src/docsearch/index.js';

const index = buildIndex();
const json = JSON.stringify(index);
writeFileSync(join(import.meta.dirname, '..', 'dist', INDEX_FILE), json);
process.stderr.write(
  `built dist/${INDEX_FILE} (${index.documentCount} passages, ${Math.round(json.length / 1024)} KB)\n`,
);
