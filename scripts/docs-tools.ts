// Writes docs/tools.md from the registry: `npm run docs:tools`. A test fails when it is stale.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderToolsMarkdown } from '../src/tools/docs.js';

const out = join(import.meta.dirname, '..', 'docs', 'tools.md');
writeFileSync(out, renderToolsMarkdown());
process.stderr.write(`wrote ${out}\n`);
