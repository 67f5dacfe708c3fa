// Builds dist/: one ESM entry (dist/cli.js) plus chunks that load on demand (the sandbox, the HTTP
// stack), so `npx mcp-stripe` over stdio parses only what it runs. better-sqlite3 stays external
// (native). The generated endpoint catalog is copied beside the entry.
/* global process */
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli.ts'],
  bundle: true,
  splitting: true,
  minify: !process.env.BUNDLE_NO_MINIFY, // BUNDLE_NO_MINIFY=1 keeps names readable in CPU profiles
  sourcemap: 'linked',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: 'dist',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  external: ['better-sqlite3'],
  // Some dependencies call require() for Node built-ins; give the ESM bundle one.
  banner: {
    js: "import { createRequire as __mcpStripeRequire } from 'node:module'; const require = __mcpStripeRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
mkdirSync('dist', { recursive: true });
copyFileSync('src/catalog/endpoints.json', 'dist/endpoints.json');
chmodSync('dist/cli.js', 0o755);
process.stderr.write('built dist/cli.js\n');
