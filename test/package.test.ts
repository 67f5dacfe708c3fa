import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe, expect, it } from 'vitest';
import { startSandbox } from '../src/sandbox/index.js';
import { callTool, cleanEnv, TEST_KEY } from './helpers.js';

const root = join(import.meta.dirname, '..');

describe('the published package', () => {
  it('npm pack contains a working dist and the library, the LICENSE, and needs only the native module, the authorization server and the Postgres driver at run time', () => {
    // --ignore-scripts: prepack would rebuild dist/ under the other test files that use it.
    const packed = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(packed.status, packed.stderr).toBe(0);
    const files = (JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    for (const f of [
      'dist/cli.cjs',
      'dist/main.cjs',
      'dist/endpoints.json',
      'dist/billing.mjs',
      'dist/billing.d.ts',
      'LICENSE',
      'README.md',
    ])
      expect(files).toContain(f);
    const pkg = JSON.parse(
      spawnSync('npm', ['pkg', 'get', 'dependencies', 'scripts.prepack', 'bin'], {
        cwd: root,
        encoding: 'utf8',
      }).stdout,
    ) as Record<string, unknown>;
    // oidc-provider is ESM-only and loaded only with --auth=embedded, pg only with --database-url:
    // installed beside dist/, not bundled (start-up never parses them).
    expect(Object.keys(pkg.dependencies as object)).toEqual(['better-sqlite3', 'oidc-provider', 'pg']);
    expect(pkg['scripts.prepack']).toBe('npm run build');
  });

  it('dist/ runs with nothing installed beside it but better-sqlite3', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-stripe-installed-'));
    cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
    cpSync(join(root, 'package.json'), join(dir, 'package.json'));
    mkdirSync(join(dir, 'node_modules'));
    for (const m of ['better-sqlite3', 'bindings', 'file-uri-to-path'])
      symlinkSync(join(root, 'node_modules', m), join(dir, 'node_modules', m), 'dir');
    const cli = join(dir, 'dist', 'cli.cjs');
    // A test key against the sandbox, so the store (SQLite: the native module) is opened and written.
    const sandbox = await startSandbox();
    const data = join(dir, 'data');
    const env = { ...cleanEnv(), STRIPE_SECRET_KEY: TEST_KEY, STRIPE_API_BASE: sandbox.url };
    const client = new Client({ name: 'installed', version: '1.0.0' });
    try {
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [cli, `--data-dir=${data}`],
          env,
          stderr: 'pipe',
          cwd: dir,
        }),
      );
      const c = await callTool(client, 'create_customer', { email: 'installed@example.com' });
      expect(c.data.id).toMatch(/^cus_/);
      await client.close();
      const audit = spawnSync(process.execPath, [cli, 'audit', 'tail', `--data-dir=${data}`], {
        env: cleanEnv(),
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(audit.status, audit.stderr.slice(-500)).toBe(0);
      expect(audit.stdout).toContain('create_customer');
    } finally {
      await client.close();
      await sandbox.close();
    }
  });
});

describe('scripts/ensure.mjs', () => {
  it('works from a checkout whose path has a space (it finds its own files, installs and builds nothing when fresh)', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'mcp-stripe-')), 'with space');
    for (const d of ['scripts', 'node_modules', 'src', 'dist']) mkdirSync(join(dir, d), { recursive: true });
    cpSync(join(root, 'scripts', 'ensure.mjs'), join(dir, 'scripts', 'ensure.mjs'));
    // Oldest first: the lockfile and sources, then what was installed and built from them.
    for (const f of ['package-lock.json', 'package.json', 'scripts/bundle.mjs', 'src/a.ts'])
      writeFileSync(join(dir, f), '{}');
    const past = new Date(Date.now() - 60_000);
    for (const f of ['package-lock.json', 'package.json', 'scripts/bundle.mjs', 'src/a.ts'])
      utimesSync(join(dir, f), past, past);
    writeFileSync(join(dir, 'node_modules', '.package-lock.json'), '{}');
    writeFileSync(join(dir, 'dist', 'cli.cjs'), '');
    const r = spawnSync(process.execPath, [join(dir, 'scripts', 'ensure.mjs')], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/npm ci|npm run build/);
  });
});
