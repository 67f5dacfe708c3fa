import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

describe('endpoint catalog', () => {
  it('is what the installed stripe SDK generates (run `npm run catalog` after upgrading the SDK)', () => {
    const committed = readFileSync(join(root, 'src', 'catalog', 'endpoints.json'), 'utf8');
    execFileSync(
      process.execPath,
      [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'scripts', 'gen-catalog.ts')],
      { cwd: root, stdio: 'pipe' },
    );
    expect(readFileSync(join(root, 'src', 'catalog', 'endpoints.json'), 'utf8')).toBe(committed);
  });
});
