// Writes the generated docs: docs/tools.md from the registry and docs/money.md from the money model
// (`npm run docs:tools`). A test fails when either is stale.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderMoneyMarkdown } from '../src/money/docs.js';
import { renderToolsMarkdown } from '../src/tools/docs.js';

const docs = join(import.meta.dirname, '..', 'docs');
for (const [file, text] of [
  ['tools.md', renderToolsMarkdown()],
  ['money.md', renderMoneyMarkdown()],
] as const) {
  writeFileSync(join(docs, file), text);
  process.stderr.write(`wrote docs/${file}\n`);
}
