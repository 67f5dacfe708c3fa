// Api keys this server issues for agents and CI (`mcps_…`): shown once, stored as a hash, revocable.
import { randomBytes } from 'node:crypto';
import { OAuthError, OAuthErrorCode } from '@modelcontextprotocol/server';
import { hashSecret } from '../storage/approvals.js';
import type { ApiKeyRecord, ApiKeyStore } from '../storage/ports.js';
import { isScope, SCOPES, type Caller } from './caller.js';

export const API_KEY_PREFIX = 'mcps_';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface NewKey {
  name: string;
  scopes: readonly string[];
  tenant?: string;
  /** Lifetime in milliseconds; undefined: until revoked. */
  expiresInMs?: number;
}

/** A new key, stored (its hash), and the key itself, which is never stored or shown again. */
export async function issueApiKey(
  store: ApiKeyStore,
  k: NewKey,
  now: number,
): Promise<{ key: string; record: ApiKeyRecord } | { error: string }> {
  if (!NAME.test(k.name))
    return {
      error: `--name must be 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit (got "${k.name.slice(0, 80)}").`,
    };
  const unknown = k.scopes.filter((s) => !isScope(s));
  if (unknown.length || k.scopes.length === 0)
    return {
      error: `--scopes must name one or more of ${Object.keys(SCOPES).join(', ')} (got "${k.scopes.join(',')}").`,
    };
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const record: ApiKeyRecord = {
    id: `key_${randomBytes(8).toString('hex')}`,
    name: k.name,
    hash: hashSecret(key),
    prefix: key.slice(0, API_KEY_PREFIX.length + 4),
    scopes: [...new Set(k.scopes)],
    tenant: k.tenant ?? null,
    createdAt: now,
    expiresAt: k.expiresInMs === undefined ? null : now + k.expiresInMs,
    revokedAt: null,
  };
  if (!(await store.create(record)))
    return {
      error: `a key named "${k.name}" already exists: revoke it first (mcp-stripe keys revoke ${k.name}) or pick another name.`,
    };
  return { key, record };
}

/** Whether a key works as of `now`: revoked wins over expired. */
export function keyState(
  k: Pick<ApiKeyRecord, 'revokedAt' | 'expiresAt'>,
  now: number,
): 'active' | 'revoked' | 'expired' {
  if (k.revokedAt !== null) return 'revoked';
  return k.expiresAt !== null && k.expiresAt <= now ? 'expired' : 'active';
}

/** The caller an api key stands for, or an `invalid_token` OAuthError (unknown, revoked or expired). */
export async function callerForApiKey(
  store: ApiKeyStore,
  key: string,
  now: number,
): Promise<{ caller: Caller; expiresAt: number | null }> {
  const record = await store.byHash(hashSecret(key));
  if (!record) throw new OAuthError(OAuthErrorCode.InvalidToken, 'Unknown api key');
  const state = keyState(record, now);
  if (state === 'revoked') throw new OAuthError(OAuthErrorCode.InvalidToken, 'This api key was revoked');
  if (state === 'expired') throw new OAuthError(OAuthErrorCode.InvalidToken, 'This api key has expired');
  return {
    caller: {
      id: `key:${record.name}`,
      kind: 'api-key',
      name: record.name,
      scopes: new Set(record.scopes.filter(isScope)),
      ...(record.tenant ? { tenant: record.tenant } : {}),
    },
    expiresAt: record.expiresAt,
  };
}
