// Configuration → the HTTP edge's authentication (gate, rate limit, step-up, the embedded
// authorization server), for the runtime.
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { UserEntry } from '../config/users.js';
import type { Logger } from '../log.js';
import { CallerRateLimit } from '../policy/rate-limit.js';
import type { ApiKeyStore, OAuthStateStore, OperatorAuth, Store } from '../storage/ports.js';
import { CLIENT_SCOPES, type Scope } from './caller.js';
import { AuthGate, type EdgeAuth } from './gate.js';
import { OAuthVerifier } from './oauth.js';
import { operatorSignIn, type OperatorSignIn } from './operator.js';
import { hashPassword } from './passwords.js';
import { StripeKeyVerifier } from './stripe-key.js';
import { tenantsOf } from './tenants.js';

export interface EdgeParts {
  apiKeys: ApiKeyStore;
  /** The embedded authorization server's state and keys. */
  oauthState: OAuthStateStore;
  settings: Pick<OperatorAuth, 'getValue' | 'setValue'>;
  /** `GET /v1/account` with a caller's key (--auth=stripe-key). */
  accountOf: (key: string) => Promise<string>;
  stepUp: EdgeAuth['stepUp'];
  logger: Logger;
  /** Rate-limit counters shared by every instance (a Postgres store); absent: this process's. */
  rateLimiter?: Store['rateLimiter'];
  now?: () => number;
}

/** What a client should ask for: the scopes this server's policy lets anyone use. */
function offeredScopes(config: Pick<Config, 'security'>): Scope[] {
  return config.security.permissions.readOnly ? ['stripe:read'] : [...CLIENT_SCOPES];
}

/** The edge's authentication for a server whose own origin is `origin`; undefined without --auth. */
export async function createEdgeAuth(
  config: Pick<Config, 'remote' | 'security' | 'users' | 'sandbox' | 'tenants'>,
  parts: EdgeParts,
  origin: string,
): Promise<EdgeAuth | undefined> {
  const { remote } = config;
  if (remote.auth.length === 0) return undefined;
  const resource = new URL(`${origin}/mcp`);
  const scopes = offeredScopes(config);
  const issuers: OAuthVerifier[] = [];
  const o = remote.oauth;
  // How operators sign in to the console: the external issuer when this server has a client there,
  // else the embedded server's own console client; without either, only the terminal's one-time link.
  let operators: OperatorSignIn | undefined;
  if (remote.auth.includes('oauth') && o.issuer) {
    const external = new OAuthVerifier({
      issuer: o.issuer,
      resource,
      ...(o.introspectionUrl && o.clientId && o.clientSecret
        ? { introspection: { url: o.introspectionUrl, clientId: o.clientId, clientSecret: o.clientSecret } }
        : {}),
    });
    issuers.push(external);
    if (o.clientId && o.clientSecret)
      operators = operatorSignIn({
        verifier: external,
        client: { id: o.clientId, secret: o.clientSecret },
        origin,
      });
  }

  let authorizationServer: EdgeAuth['authorizationServer'];
  let signInHint: string | undefined;
  if (remote.auth.includes('embedded')) {
    const users: UserEntry[] = [...config.users];
    // The offline demo: a user made at start-up, its password printed to the operator's terminal only.
    if (config.sandbox && users.length === 0) {
      const password = randomBytes(9).toString('base64url');
      // An admin, so the demo also shows the console's OAuth sign-in.
      users.push({
        username: 'demo',
        passwordHash: await hashPassword(password),
        email: 'demo@example.com',
        admin: true,
      });
      signInHint = `sign in to the embedded authorization server (and the console) as demo / ${password}`;
    }
    // Loaded only with --auth=embedded: oidc-provider (and Koa) are not parsed otherwise.
    const { createEmbeddedAuthServer } = await import('./embedded.js');
    const as = await createEmbeddedAuthServer({
      origin,
      resource,
      users,
      scopes,
      state: parts.oauthState,
      settings: parts.settings,
      trustProxy: remote.trustProxy,
      logger: parts.logger,
      now: parts.now,
    });
    issuers.unshift(as.verifier);
    authorizationServer = as;
    operators ??= operatorSignIn({
      verifier: as.verifier,
      client: as.consoleClient,
      origin,
      isAdmin: as.isAdmin,
    });
  }

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
    scopes,
    ...(config.tenants.length > 0 ? { tenantsOf: (caller) => tenantsOf(caller, config.tenants) } : {}),
    now: parts.now,
  });
  return {
    gate,
    ...(remote.rateLimitPerMinute > 0
      ? { rateLimit: new CallerRateLimit(remote.rateLimitPerMinute, parts.rateLimiter) }
      : {}),
    stepUp: parts.stepUp,
    ...(authorizationServer ? { authorizationServer } : {}),
    ...(signInHint ? { signInHint } : {}),
    ...(operators ? { operators } : {}),
  };
}
