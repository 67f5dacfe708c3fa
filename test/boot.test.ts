import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, CLI } from './helpers.js';

const INITIALIZE = `${JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'boot-test', version: '1' },
  },
})}\n`;

/**
 * Starts the built CLI over stdio, waits for its answer to `initialize`, keeps it running for
 * `lingerMs` (a real session outlives the handshake), then ends it by closing stdin.
 */
async function start(
  env: Record<string, string>,
  lingerMs = 0,
): Promise<{ codeCache: unknown; answered: boolean }> {
  const child = spawn(process.execPath, [CLI, '--sandbox'], {
    env: { ...cleanEnv(), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const answered = await new Promise<boolean>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('"id":1')) resolve(true);
    });
    child.once('exit', () => resolve(false));
    child.stdin.write(INITIALIZE);
  });
  await new Promise((r) => setTimeout(r, lingerMs));
  child.stdin.end();
  await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(undefined)));
  const starting = stderr
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { msg: string; code_cache?: unknown })
    .find((l) => l.msg === 'starting');
  return { codeCache: starting?.code_cache, answered };
}

describe('the launcher (dist/cli.cjs) and its V8 code cache', () => {
  it('the first start compiles and saves the cache (owner-only, replacing older builds caches); the next start loads it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mcp-stripe-cache-'));
    mkdirSync(join(home, 'mcp-stripe'), { mode: 0o700 });
    const olderBuild = join(
      home,
      'mcp-stripe',
      `0000000000000000-${process.version}-${process.arch}.v8cache`,
    );
    writeFileSync(olderBuild, 'left by an older build');
    const first = await start({ XDG_CACHE_HOME: home }, 1500);
    expect(first).toEqual({ codeCache: 'miss', answered: true });
    const dir = join(home, 'mcp-stripe');
    const files = readdirSync(dir);
    expect(files).toHaveLength(1); // the older build's cache is gone
    expect(join(dir, files[0]!)).not.toBe(olderBuild);
    expect(files[0]).toMatch(new RegExp(`-${process.version}-${process.arch}\\.v8cache$`));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, files[0]!)).mode & 0o777).toBe(0o600);

    expect(await start({ XDG_CACHE_HOME: home })).toEqual({ codeCache: 'hit', answered: true });
  });

  it('a corrupt cache is rejected, the server starts anyway, and the cache is rewritten', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mcp-stripe-cache-'));
    await start({ XDG_CACHE_HOME: home }, 1500);
    const dir = join(home, 'mcp-stripe');
    const file = join(dir, readdirSync(dir)[0]!);
    writeFileSync(file, 'not a code cache');
    expect(await start({ XDG_CACHE_HOME: home }, 1500)).toEqual({ codeCache: 'miss', answered: true });
    expect(statSync(file).size).toBeGreaterThan(100_000);
    expect(await start({ XDG_CACHE_HOME: home })).toEqual({ codeCache: 'hit', answered: true });
  });

  it('a cache directory others can write to is neither read nor written', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mcp-stripe-cache-'));
    await start({ XDG_CACHE_HOME: home }, 1500);
    const dir = join(home, 'mcp-stripe');
    const file = join(dir, readdirSync(dir)[0]!);
    chmodSync(dir, 0o777);
    writeFileSync(file, 'planted by someone else');
    expect(await start({ XDG_CACHE_HOME: home }, 1500)).toEqual({ codeCache: 'off', answered: true });
    expect(statSync(file).size).toBe('planted by someone else'.length);
  });

  it('NODE_DISABLE_COMPILE_CACHE turns it off; an unwritable cache location only costs speed', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mcp-stripe-cache-'));
    expect(await start({ XDG_CACHE_HOME: home, NODE_DISABLE_COMPILE_CACHE: '1' }, 1500)).toEqual({
      codeCache: 'off',
      answered: true,
    });
    expect(readdirSync(home)).toEqual([]);

    const blocked = join(home, 'file-not-dir');
    writeFileSync(blocked, '');
    expect(await start({ XDG_CACHE_HOME: blocked }, 1500)).toEqual({ codeCache: 'miss', answered: true });
  });
});
