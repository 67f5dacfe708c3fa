// Builds dist/:
// - dist/main.cjs: the whole CLI in one CommonJS bundle (better-sqlite3 stays external: native;
//   oidc-provider too: ESM-only, loaded with --auth=embedded only; pg: loaded with --database-url only).
//   One script, so a V8 code cache can cover all of it (see src/boot.ts).
// - dist/cli.cjs: the executable, a small launcher that runs main.cjs with that code cache. It is
//   CommonJS too: starting Node's ES module loader costs ~15 ms that start-up does not need.
// - dist/endpoints.json: the generated endpoint catalog, beside the bundle.
// - dist/docs-index.json: the docs search's index (scripts/build-docs-index.ts).
// - dist/console-assets/: the operator console's script and styles.
// - dist/billing.mjs and dist/billing.d.ts: the `mcp-stripe/billing` library.
// BUNDLE_NO_MINIFY=1 keeps names readable in CPU profiles (whitespace is still minified: that drops
// comments, which esbuild's ascii charset does not escape).
/* global process */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const minify = process.env.BUNDLE_NO_MINIFY
  ? { minifyWhitespace: true, minifyIdentifiers: false, minifySyntax: false }
  : { minify: true };

/**
 * zod's namespace export carries every error-message locale (~260 KB of the ~450 KB zod adds);
 * this server speaks English only, and start-up time is spent parsing what is bundled.
 */
const englishOnlyZod = {
  name: 'english-only-zod',
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: 'export { default as en } from "./en.js";',
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: ['src/cli.ts'],
  bundle: true,
  ...minify,
  sourcemap: 'linked',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: 'dist/main.cjs',
  // Native (better-sqlite3), or loaded only with --auth=embedded (oidc-provider, ESM-only, with Koa),
  // or only with --database-url (pg): start-up never parses them.
  external: ['better-sqlite3', 'oidc-provider', 'pg'],
  plugins: [englishOnlyZod],
  // import.meta does not exist in CommonJS; the modules that use it only need their own URL.
  charset: 'ascii', // the launcher reads the bundle as latin1 (checked below)
  define: { 'import.meta.url': '__mcpStripeModuleUrl' },
  banner: { js: "var __mcpStripeModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
// The launcher wraps main.cjs in a function, where a hashbang is a syntax error; a comment keeps
// the line numbers the source map expects.
const main = readFileSync('dist/main.cjs', 'utf8').replace(/^#!/, '//');
// eslint-disable-next-line no-control-regex
if (/[^\x00-\x7f]/.test(main)) throw new Error('dist/main.cjs is not ASCII; src/boot.ts reads it as latin1');
writeFileSync('dist/main.cjs', main);
const buildId = createHash('sha256').update(main).digest('hex').slice(0, 16);

await build({
  entryPoints: ['src/boot.ts'],
  bundle: true,
  ...minify,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: 'dist/cli.cjs',
  define: { MCP_STRIPE_BUILD_ID: JSON.stringify(buildId) },
  logLevel: 'warning',
});
mkdirSync('dist', { recursive: true });
copyFileSync('src/catalog/endpoints.json', 'dist/endpoints.json');
// The docs search's index, built once here and read on the first search (src/docsearch/index.ts).
execFileSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/build-docs-index.ts'], {
  stdio: 'inherit',
});

// The console's browser assets: one script (uPlot bundled in), its styles. Served by the server
// itself: no CDN, and the Content-Security-Policy allows only same-origin scripts and styles.
mkdirSync('dist/console-assets', { recursive: true });
await build({
  entryPoints: ['src/console/client/console.ts'],
  bundle: true,
  minify: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  outfile: 'dist/console-assets/console.js',
  logLevel: 'warning',
});
copyFileSync('src/console/client/console.css', 'dist/console-assets/console.css');
copyFileSync('node_modules/uplot/dist/uPlot.min.css', 'dist/console-assets/uPlot.min.css');
// The `mcp-stripe/billing` library: one ES module for servers built on the official MCP SDK (which
// they bring: it stays external, as do native and CLI-only packages), and its types, which name only
// the SDK's (checked: a relative import would point into sources that are not shipped).
await build({
  entryPoints: ['src/billing/library.ts'],
  bundle: true,
  ...minify,
  sourcemap: 'linked',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: 'dist/billing.mjs',
  external: ['better-sqlite3', 'oidc-provider', '@modelcontextprotocol/*'],
  plugins: [englishOnlyZod],
  // Bundled CommonJS (the stripe SDK) calls require(); an ES module has none of its own.
  banner: {
    js: "import { createRequire as __mcpStripeRequire } from 'node:module'; const require = __mcpStripeRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.lib.json'], {
  stdio: 'inherit',
});
const types = readFileSync('dist/.types/billing/library.d.ts', 'utf8');
if (/from '\.{1,2}\//.test(types))
  throw new Error('dist/billing.d.ts imports a source file; keep the public types self-contained');
writeFileSync('dist/billing.d.ts', types);
rmSync('dist/.types', { recursive: true, force: true });

chmodSync('dist/cli.cjs', 0o755);
process.stderr.write(`built dist/cli.cjs (build ${buildId})\n`);
