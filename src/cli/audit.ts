import { existsSync } from 'node:fs';
import type { Flags } from '../config/load.js';
import { openStore, storePath } from '../storage/open.js';
import { fail, optionsOrFail, parseSince } from './common.js';

/** `mcp-stripe audit tail | export`: the audit log in the data directory. */
export async function runAudit(
  which: 'tail' | 'export',
  flags: Flags,
  since: string | undefined,
  n: string | undefined,
): Promise<void> {
  const { dataDir, databaseUrl } = optionsOrFail(flags, ['dataDir', 'databaseUrl']);
  const path = storePath(dataDir);
  if (!databaseUrl && !existsSync(path)) {
    fail([
      `no audit log at ${path} yet (the server writes it; pass --data-dir=DIR if it runs with another one). A --sandbox server keeps its audit log in memory: there is nothing to read after it stops.`,
    ]);
  }
  // `audit export | head -1`: the reader leaving is the end of the output, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const store = await openStore({ memory: false, dataDir, databaseUrl });
  try {
    if (which === 'export') {
      const from = since === undefined ? undefined : parseSince(since);
      if (since !== undefined && !from)
        fail([`--since must be a duration like 24h, 7d, 30m, or a date (got "${since}").`]);
      for (const r of await store.audit.query({ since: from }))
        process.stdout.write(`${JSON.stringify(r)}\n`);
    } else {
      const limit = n === undefined ? 20 : Number(n);
      if (!Number.isInteger(limit) || limit < 1) fail([`-n must be a positive whole number (got "${n}").`]);
      for (const r of await store.audit.query({ limit })) {
        const who = r.confirmedBy ? ` by ${r.confirmedBy}` : '';
        const err = r.error ? ` ${r.error}` : '';
        process.stdout.write(
          `${r.at} ${r.tool} ${r.decision}${who} ${r.outcome}${err} ${r.durationMs}ms ${r.requestIds.join(',')}\n`,
        );
      }
    }
  } finally {
    await store.close();
  }
}
