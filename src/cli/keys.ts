import { issueApiKey, keyState } from '../auth/api-keys.js';
import type { Flags } from '../config/load.js';
import { openStore } from '../storage/open.js';
import type { ApiKeyRecord } from '../storage/ports.js';
import { parseDuration } from '../util/duration.js';
import { fail, optionsOrFail } from './common.js';

export interface KeyFlags {
  name?: string;
  scopes?: string;
  tenant?: string;
  expires?: string;
}

/**
 * `mcp-stripe keys create | list | revoke`: the api keys a server on this data directory accepts
 * (`--auth=api-key`). A new key is printed once, on stdout; only its hash is stored.
 */
export async function runKeys(
  which: 'create' | 'list' | 'revoke',
  target: string | undefined,
  flags: Flags,
  k: KeyFlags,
): Promise<void> {
  const { dataDir, databaseUrl } = optionsOrFail(flags, ['dataDir', 'databaseUrl']);
  const problems: string[] = [];
  if (which === 'create' && !k.name)
    problems.push('keys create needs --name=NAME (the caller it stands for, e.g. deploy-bot).');
  if (which === 'revoke' && !target)
    problems.push('keys revoke needs the key id or name: mcp-stripe keys revoke deploy-bot.');
  const expiresInMs = k.expires === undefined ? undefined : parseDuration(k.expires);
  if (k.expires !== undefined && expiresInMs === undefined)
    problems.push(`--expires must be a duration like 90d, 24h or 30m (got "${k.expires}").`);
  if (problems.length) fail(problems);

  const store = await openStore({ memory: false, dataDir, databaseUrl });
  try {
    const now = Date.now();
    if (which === 'create') {
      const scopes = (k.scopes ?? 'stripe:read')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const issued = await issueApiKey(
        store.apiKeys,
        {
          name: k.name!,
          scopes,
          ...(k.tenant ? { tenant: k.tenant } : {}),
          ...(expiresInMs ? { expiresInMs } : {}),
        },
        now,
      );
      if ('error' in issued) fail([issued.error]);
      process.stderr.write(
        `Created api key ${issued.record.id} "${issued.record.name}" (${issued.record.scopes.join(', ')}${describeExpiry(issued.record)}).\nIt is shown once, below; only its hash is stored. Send it as "Authorization: Bearer <key>".\n`,
      );
      process.stdout.write(`${issued.key}\n`);
    } else if (which === 'list') {
      const keys = await store.apiKeys.list();
      if (keys.length === 0)
        process.stderr.write('No api keys. Create one with: mcp-stripe keys create --name=NAME\n');
      for (const r of keys) {
        process.stdout.write(
          `${r.id}  ${r.name}  ${r.prefix}…  ${keyState(r, now)}  ${r.scopes.join(',')}${r.tenant ? `  tenant=${r.tenant}` : ''}  created ${new Date(r.createdAt).toISOString()}${describeExpiry(r)}\n`,
        );
      }
    } else {
      const revoked = await store.apiKeys.revoke(target!, now);
      if (!revoked)
        fail([`no active api key with id or name "${target}" (mcp-stripe keys list shows them).`]);
      process.stderr.write(
        `Revoked api key ${revoked.id} "${revoked.name}": it fails on its next request.\n`,
      );
    }
  } finally {
    await store.close();
  }
}

function describeExpiry(r: ApiKeyRecord): string {
  return r.expiresAt === null ? '' : `, expires ${new Date(r.expiresAt).toISOString()}`;
}
