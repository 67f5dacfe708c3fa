// `--auth=stripe-key` (as mcp.stripe.com does for agents): the bearer token is the caller's own Stripe
// secret or restricted key, used for that request's calls only. It is checked once against Stripe
// (`GET /v1/account`) and the answer kept under a hash of the key, never the key.
import { createHash } from 'node:crypto';
import { OAuthError, OAuthErrorCode } from '@modelcontextprotocol/server';
import { classifyKey } from '../config/keys.js';
import { CLIENT_SCOPES, type Caller } from './caller.js';

/** How long a checked key is trusted before it is checked again. */
const CHECK_TTL_MS = 10 * 60_000;
const MAX_CACHED = 10_000;

export interface StripeKeyOptions {
  allowLive: boolean;
  /** `GET /v1/account` with this key: the account id, or a thrown error when Stripe refuses the key. */
  accountOf: (key: string) => Promise<string>;
  now?: () => number;
}

export const fingerprint = (key: string) => createHash('sha256').update(key).digest('hex');

export class StripeKeyVerifier {
  private readonly checked = new Map<string, { account: string; mode: 'test' | 'live'; until: number }>();

  constructor(private readonly opts: StripeKeyOptions) {}

  /** The caller this key stands for, or an `invalid_token` OAuthError saying why the key is refused. */
  async verify(key: string): Promise<{ caller: Caller; expiresAt: number }> {
    const info = classifyKey(key);
    if ('error' in info) throw new OAuthError(OAuthErrorCode.InvalidToken, `Refused: ${info.error}`);
    if (info.mode === 'live' && !this.opts.allowLive)
      throw new OAuthError(
        OAuthErrorCode.InvalidToken,
        'Refused: a live Stripe key moves real money, and this server does not accept live keys (it runs without --allow-live). Use a test key (sk_test_… or rk_test_…).',
      );
    const now = (this.opts.now ?? Date.now)();
    const hash = fingerprint(key);
    let entry = this.checked.get(hash);
    if (!entry || entry.until <= now) {
      let account: string;
      try {
        account = await this.opts.accountOf(key);
      } catch {
        this.checked.delete(hash);
        throw new OAuthError(
          OAuthErrorCode.InvalidToken,
          'Stripe did not accept this API key (GET /v1/account failed)',
        );
      }
      entry = { account, mode: info.mode, until: now + CHECK_TTL_MS };
      if (this.checked.size >= MAX_CACHED) this.checked.delete(this.checked.keys().next().value!);
      this.checked.set(hash, entry);
    }
    return {
      caller: {
        id: `stripe:${entry.account}/…${key.slice(-4)}`,
        kind: 'stripe-key',
        // The key's own permissions (a restricted key's) apply at Stripe; the server's policy on top.
        scopes: new Set(CLIENT_SCOPES),
        stripe: { key, account: entry.account, mode: entry.mode },
      },
      expiresAt: Math.floor(entry.until / 1000),
    };
  }
}
