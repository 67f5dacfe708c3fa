import { existsSync } from 'node:fs';

/** Debian's chromium (or CHROMIUM_PATH), for the tests that drive the console in a real browser. */
export const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p): p is string => !!p && existsSync(p),
);
if (!CHROMIUM)
  process.stderr.write(
    "console browser tests skipped: no chromium (install Debian's chromium, or set CHROMIUM_PATH; .ci/run installs it).\n",
  );
