import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The first of `names` found in the directory of `from` or above it. Works from src/ (tsx) and from
 * dist/ (the one-file bundle), so data files such as the catalog need not follow the module layout.
 */
export function findUp(from: string, names: string[]): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    for (const name of names) {
      const candidate = join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`none of ${names.join(', ')} found above ${fileURLToPath(from)}`);
    dir = up;
  }
}
