import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderConfigurationDocs } from '../src/config/render.js';
import { renderMoneyMarkdown } from '../src/money/docs.js';
import { renderToolsMarkdown } from '../src/tools/docs.js';
import { ALL_TOOLS } from '../src/tools/registry.js';

const root = join(import.meta.dirname, '..');

describe('docs', () => {
  it('docs/tools.md is generated from the registry and current (run `npm run docs:tools`)', () => {
    expect(readFileSync(join(root, 'docs', 'tools.md'), 'utf8')).toBe(renderToolsMarkdown());
  });

  it('docs/money.md is generated from the money model and current (run `npm run docs:tools`)', () => {
    expect(readFileSync(join(root, 'docs', 'money.md'), 'utf8')).toBe(renderMoneyMarkdown());
  });

  it('docs/configuration.md holds the current option table (run `npm run docs:tools`)', () => {
    const md = readFileSync(join(root, 'docs', 'configuration.md'), 'utf8');
    expect(md).toBe(renderConfigurationDocs(md));
  });

  it('every tool has a section', () => {
    const md = renderToolsMarkdown();
    for (const t of ALL_TOOLS) expect(md).toContain(`## ${t.name}\n`);
  });

  it('the README gives the two set-up commands and the docs exist', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
    for (const f of ['architecture.md', 'configuration.md', 'tools.md', 'security.md'])
      expect(existsSync(join(root, 'docs', f)), f).toBe(true);
  });
});
