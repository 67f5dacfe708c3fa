// Writes the generated docs: docs/tools.md from the registry, docs/money.md from the money model and the
// option tables of docs/configuration.md from the option table (`npm run docs:tools`). A test fails when
// any is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigurationDocs } from '../src/config/render.js';
import { renderMoneyMarkdown } from '../src/money/docs.js';
import { renderToolsMarkdown } from '../src/tools/docs.js';

const docs = join(import.meta.dirname, '..', 'docs');
for (const [file, text] of [
  ['tools.md', renderToolsMarkdown()],
  ['money.md', renderMoneyMarkdown()],
  ['configuration.md', renderConfigurationDocs(readFileSync(join(docs, 'configuration.md'), 'utf8'))],
] as const) {
  writeFileSync(join(docs, file), text);
  process.stderr.write(`wrote docs/${file}\n`);
}
