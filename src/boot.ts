#!/usr/bin/env node
// The `mcp-stripe` executable. It runs the bundled CLI (dist/main.cjs) with a V8 code cache, the
// way Node 22's module compile cache does: MCP clients start this server often, and on Node 20
// compiling the bundle is the largest part of start-up. The first start compiles from source and,
// a moment later, saves the compiled code; later starts of the same build load it instead.
//
// The cache lives in the user's own cache directory ($XDG_CACHE_HOME or ~/.cache, then
// mcp-stripe/, created 0700), is keyed by build, Node version and architecture, and is written
// atomically. NODE_DISABLE_COMPILE_CACHE=1 turns it off. Any cache failure falls back to a plain
// compile: the cache can make start-up faster, never make it fail.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** Identifies the bundle's content; injected by scripts/bundle.mjs. */
declare const MCP_STRIPE_BUILD_ID: string;

/**
 * What the CLI reports in its start-up log: `hit`, `miss` (compiled from source, saves the cache)
 * or `off` (disabled, or a cache directory others can write to).
 */
export type CodeCacheState = 'hit' | 'miss' | 'off';

/** The oldest Node.js this product is built and tested for (package.json `engines`). */
const MIN_NODE = [20, 19];
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < MIN_NODE[0]! || (major === MIN_NODE[0] && minor < MIN_NODE[1]!)) {
  process.stderr.write(
    `mcp-stripe: needs Node.js ${MIN_NODE.join('.')} or newer; this is ${process.versions.node}. Install a current Node.js (20 LTS or later).\n`,
  );
  process.exit(1);
}

const dir = __dirname;
const file = join(dir, 'main.cjs');
const cacheFile = cachePath();
const script = compile(file, cacheFile);
const mod = { exports: {} };
(
  script.runInThisContext() as (
    exports: object,
    require: NodeRequire,
    module: { exports: object },
    filename: string,
    dirname: string,
  ) => void
)(mod.exports, createRequire(file), mod, file, dir);

/** The bundle as one CommonJS-style function, from the code cache when it has a usable one. */
function compile(path: string, cacheFile: string | undefined): Script {
  const usable = cacheFile !== undefined && trusted(dirname(cacheFile));
  const cached = usable ? readCache(cacheFile) : undefined;
  // ASCII by construction (scripts/bundle.mjs checks): latin1 reads it without UTF-8 decoding.
  const source = readFileSync(path, 'latin1');
  const compiled = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: path,
    ...(cached ? { cachedData: cached } : {}),
  });
  const state: CodeCacheState = !usable ? 'off' : cached && !compiled.cachedDataRejected ? 'hit' : 'miss';
  (globalThis as { __mcpStripeCodeCache?: CodeCacheState }).__mcpStripeCodeCache = state;
  if (state === 'miss') {
    // Saved once start-up has run, so the cache also holds the functions start-up compiled.
    setTimeout(() => saveCache(compiled, cacheFile!), 1000).unref();
  }
  return compiled;
}

function cachePath(): string | undefined {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'mcp-stripe', `${MCP_STRIPE_BUILD_ID}-${process.version}-${process.arch}.v8cache`);
}

/**
 * Compiled code is executable: the cache directory must be this user's alone (or not exist yet,
 * in which case it is created 0700).
 */
function trusted(dir: string): boolean {
  try {
    const st = statSync(dir);
    return typeof process.getuid !== 'function' || (st.uid === process.getuid() && (st.mode & 0o022) === 0);
  } catch {
    return true;
  }
}

function readCache(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

function saveCache(script: Script, path: string): void {
  try {
    const dir = dirname(path);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
    renameSync(tmp, path);
    // One build's cache at a time: what older builds left is only disk space.
    for (const name of readdirSync(dir))
      if (name.endsWith('.v8cache') && join(dir, name) !== path) rmSync(join(dir, name), { force: true });
  } catch {
    // A read-only or full disk: start-up stays as fast as without a cache.
  }
}
