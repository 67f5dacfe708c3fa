// Configuration → the HTTP edge's authentication (gate, rate limit, step-up), for the runtime.
import type { Config } from '../config/schema.js';
import { CallerRateLimit } from '../policy/rate-limit.js';
import type { ApiKeyStore } from '../storage/ports.js';
import { CLIENT_SCOPES, type Scope } from './caller.js';
import { AuthGate, type EdgeAuth } from './gate.js';
import { OAuthVerifier } from './oauth.js';
import { StripeKeyVerifier } from './stripe-key.js';

export interface EdgeParts {
  apiKeys: ApiKeyStore;
  /** `GET /v1/account` with a caller's key (--auth=stripe-key). */
  accountOf: (key: string) => Promise<string>;
  stepUp: EdgeAuth['stepUp'];
  now?: () => number;
}

/** What a client should ask for: the scopes this server's policy lets anyone use. */
export function offeredScopes(config: Pick<Config, 'security'>): Scope[] {
  return config.security.permissions.readOnly ? ['stripe:read'] : [...CLIENT_SCOPES];
}

/** The edge's authentication for a server whose own origin is `origin`; undefined without --auth. */
export function createEdgeAuth(
  config: Pick<Config, 'remote' | 'security'>,
  parts: EdgeParts,
  origin: string,
): EdgeAuth | undefined {
  const { remote } = config;
  if (remote.auth.length === 0) return undefined;
  const resource = new URL(`${origin}/mcp`);
  const o = remote.oauth;
  const issuers =
    remote.auth.includes('oauth') && o.issuer
      ? [
          new OAuthVerifier({
            issuer: o.issuer,
            resource,
            ...(o.introspectionUrl && o.clientId && o.clientSecret
              ? {
                  introspection: {
                    url: o.introspectionUrl,
                    clientId: o.clientId,
                    clientSecret: o.clientSecret,
                  },
                }
              : {}),
          }),
        ]
      : [];
  const gate = new AuthGate({
    modes: remote.auth,
    resource,
    apiKeys: parts.apiKeys,
    issuers,
    stripeKeys: remote.auth.includes('stripe-key')
      ? new StripeKeyVerifier({
          allowLive: config.security.allowLive,
          accountOf: parts.accountOf,
          now: parts.now,
        })
      : undefined,
    scopes: offeredScopes(config),
    now: parts.now,
  });
  return {
    gate,
    ...(remote.rateLimitPerMinute > 0 ? { rateLimit: new CallerRateLimit(remote.rateLimitPerMinute) } : {}),
    stepUp: parts.stepUp,
  };
}
