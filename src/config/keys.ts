export type KeyMode = 'test' | 'live';

export interface KeyInfo {
  kind: 'secret' | 'restricted';
  mode: KeyMode;
}

const KEY = /^(sk|rk)_(test|live)_[A-Za-z0-9]{8,247}$/;

/** What kind of Stripe key this is, or a reason it cannot be used. The reason never repeats the key. */
export function classifyKey(key: string): KeyInfo | { error: string } {
  const trimmed = key.trim();
  if (/^pk_(test|live)_/.test(trimmed)) {
    return {
      error:
        'the API key is a publishable key (pk_…): it only works in browsers. Use a secret key (sk_test_… / sk_live_…) or a restricted key (rk_test_… / rk_live_…) from https://dashboard.stripe.com/apikeys.',
    };
  }
  if (/^whsec_/.test(trimmed)) {
    return {
      error:
        'the API key is a webhook signing secret (whsec_…), not an API key. Use a secret (sk_…) or restricted (rk_…) key.',
    };
  }
  const m = KEY.exec(trimmed);
  if (!m) {
    return {
      error: `the API key is not a Stripe secret or restricted key (expected sk_test_…, rk_test_…, sk_live_… or rk_live_…; got ${describe(trimmed)}).`,
    };
  }
  return { kind: m[1] === 'sk' ? 'secret' : 'restricted', mode: m[2] as KeyMode };
}

/** A description of a bad key that reveals at most its first few characters. */
function describe(key: string): string {
  if (key.length === 0) return 'an empty value';
  const prefix = key.slice(0, Math.min(4, Math.floor(key.length / 3)));
  return `a value of ${key.length} characters${prefix ? ` starting with "${prefix}"` : ''}`;
}

/** `sk_test_…wxyz`: safe to show in logs. */
export function maskKey(key: string): string {
  const m = /^([a-z]{2}_(?:test|live)_)/.exec(key);
  return `${m ? m[1] : ''}…${key.length > 16 ? key.slice(-4) : ''}`;
}
