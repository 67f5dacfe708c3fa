import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

describe('endpoint catalog', () => {
  // The generator type-checks the SDK's definitions: on a busy 2-core machine that takes a while, so
  // this test has a generous timeout of its own (it asserts content, never speed).
  it(
    'is what the installed stripe SDK generates (run `npm run catalog` after upgrading the SDK)',
    { timeout: 300_000 },
    () => {
      // The committed file: `npm run build` no longer regenerates it, so a stale catalog fails here.
      const committed = readFileSync(join(root, 'src', 'catalog', 'endpoints.json'), 'utf8');
      // Generated into a temp file: other test workers read the committed catalog meanwhile.
      const fresh = join(mkdtempSync(join(tmpdir(), 'mcp-stripe-catalog-')), 'endpoints.json');
      const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
      execFileSync(process.execPath, [tsx, join(root, 'scripts', 'gen-catalog.ts'), `--out=${fresh}`], {
        cwd: root,
        stdio: 'pipe',
      });
      expect(readFileSync(fresh, 'utf8')).toBe(committed);
    },
  );
});
