/* global process, URL */
// Makes `npm start` and `npm test` work on a fresh clone: installs dependencies when they are
// missing or older than the lockfile, and builds dist/ when it is missing or older than src/.
// Plain Node, no dependencies (it runs before they exist).
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// fileURLToPath, not URL.pathname: a checkout path with a space (or any escaped character) must work.
const root = fileURLToPath(new URL('..', import.meta.url));

// Stop early, with a clear message, below the Node.js the build, the tests and the server need.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`mcp-stripe needs Node.js 20.19 or newer; this is ${process.versions.node}.\n`);
  process.exit(1);
}
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);
const run = (cmd) => {
  process.stderr.write(`> ${cmd}\n`);
  execSync(cmd, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
};

const marker = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(marker) || mtime(join(root, 'package-lock.json')) > mtime(marker)) {
  run('npm ci --no-audit --no-fund');
}

function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
const built = join(root, 'dist', 'cli.cjs');
if (
  !existsSync(built) ||
  newest(join(root, 'src')) > mtime(built) ||
  mtime(join(root, 'package.json')) > mtime(built) ||
  mtime(join(root, 'scripts', 'bundle.mjs')) > mtime(built)
) {
  run('npm run build --silent');
}
