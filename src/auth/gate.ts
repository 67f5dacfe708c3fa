// The HTTP edge's authentication: a bearer token → a Caller, through the MCP SDK's resource-server
// helpers (verifyBearerToken: header parsing, audience, expiry; bearerAuthChallengeResponse: the 401/403
// answers with their WWW-Authenticate challenge; buildOAuthProtectedResourceMetadata: RFC 9728).
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  bearerAuthChallengeResponse,
  buildOAuthProtectedResourceMetadata,
  getOAuthProtectedResourceMetadataUrl,
  OAuthError,
  OAuthErrorCode,
  verifyBearerToken,
  type AuthInfo,
  type OAuthMetadata,
  type OAuthProtectedResourceMetadata,
  type OAuthTokenVerifier,
} from '@modelcontextprotocol/server';
import { decodeJwt } from 'jose';
import type { AuthMode } from '../config/options.js';
import type { CallerRateLimit } from '../policy/rate-limit.js';
import type { ApiKeyStore } from '../storage/ports.js';
import { API_KEY_PREFIX, callerForApiKey } from './api-keys.js';
import { callerOf, type Caller, type Scope } from './caller.js';
import type { OAuthVerifier } from './oauth.js';
import type { OperatorSignIn } from './operator.js';
import type { StripeKeyVerifier } from './stripe-key.js';

/** An HTTP answer in plain form, for node:http or a web Response alike. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface AuthGateOptions {
  modes: readonly AuthMode[];
  /** This server's resource identifier: `<public-url>/mcp`. */
  resource: URL;
  apiKeys?: ApiKeyStore;
  /** Token verifiers, one per trusted issuer (an external one with --auth=oauth, the embedded one). */
  issuers?: readonly OAuthVerifier[];
  stripeKeys?: StripeKeyVerifier;
  /** The scopes a client should ask for: what the policy lets anyone do. */
  scopes: readonly Scope[];
  /** With tenants configured: the tenants a caller belongs to (none: it is refused with a 403). */
  tenantsOf?: (caller: Caller) => string[];
  now?: () => number;
}

/** Who may call `/mcp`: the authentication gate, the per-caller rate limit, step-up for hidden tools. */
export interface EdgeAuth {
  gate: AuthGate;
  /** `--auth=embedded`: the authorization server served under `/oauth` (and its discovery aliases). */
  authorizationServer?: { handle(req: IncomingMessage, res: ServerResponse): boolean };
  /** Printed at start-up for the operator: how to sign in (the sandbox's demo user). */
  signInHint?: string;
  /** How operators sign in to the console with OAuth (`stripe:admin`), when an authorization server is at hand. */
  operators?: OperatorSignIn;
  rateLimit?: CallerRateLimit;
  /**
   * For a `tools/call` of a tool the caller cannot see for want of a scope: the scopes to ask for (the
   * SDK answers the same for the tools it lists, through each tool's scope challenge).
   */
  stepUp?: (authInfo: AuthInfo, request: unknown) => { scopes: string[]; description: string } | undefined;
}

export type AuthOutcome = { caller: Caller; authInfo: AuthInfo } | { refused: HttpAnswer };

export class AuthGate {
  readonly resourceMetadataUrl: string | undefined;
  private readonly verifier: OAuthTokenVerifier;

  constructor(private readonly opts: AuthGateOptions) {
    const usesOAuth = (opts.issuers?.length ?? 0) > 0;
    this.resourceMetadataUrl = usesOAuth ? getOAuthProtectedResourceMetadataUrl(opts.resource) : undefined;
    this.verifier = { verifyAccessToken: (token) => this.verify(token) };
  }

  /** The caller this request's credentials stand for, or the answer that refuses it. */
  async authenticate(authorization: string | undefined, url: string): Promise<AuthOutcome> {
    try {
      // RFC 6750 §2.3 allows tokens in the query; the MCP authorization spec forbids them (they end up in logs).
      if (/[?&]access_token=/.test(url))
        throw new OAuthError(
          OAuthErrorCode.InvalidToken,
          'Access tokens in the URL are refused: send them in the Authorization header',
        );
      const authInfo = await verifyBearerToken(authorization, {
        verifier: this.verifier,
        expectedResource: this.opts.resource,
        ...(this.resourceMetadataUrl ? { resourceMetadataUrl: this.resourceMetadataUrl } : {}),
      });
      let caller = callerOf(authInfo)!;
      if (this.opts.tenantsOf && caller.kind !== 'stripe-key') {
        const tenants = this.opts.tenantsOf(caller);
        if (tenants.length === 0) return { refused: notAMember(caller) };
        caller = { ...caller, tenants };
        authInfo.extra = { ...authInfo.extra, caller };
      }
      return { caller, authInfo };
    } catch (error) {
      return { refused: await this.answer(error, [...this.opts.scopes]) };
    }
  }

  /** `403 insufficient_scope`, naming every scope to ask for (a step-up). */
  insufficientScope(scopes: readonly string[], description: string): Promise<HttpAnswer> {
    return this.answer(new OAuthError(OAuthErrorCode.InsufficientScope, description), [...scopes]);
  }

  /** RFC 9728 metadata, when an OAuth issuer is trusted. */
  metadata(): OAuthProtectedResourceMetadata | undefined {
    const issuers = this.opts.issuers ?? [];
    if (issuers.length === 0) return undefined;
    const first = new URL(issuers[0]!.issuer);
    const metadata = buildOAuthProtectedResourceMetadata({
      // Only the issuer is read from it: the clients fetch the rest from the issuer itself.
      oauthMetadata: { issuer: issuers[0]!.issuer } as OAuthMetadata,
      resourceServerUrl: this.opts.resource,
      scopesSupported: [...this.opts.scopes],
      resourceName: 'Stripe (mcp-stripe)',
      dangerouslyAllowInsecureIssuerUrl: first.protocol === 'http:',
    });
    return {
      ...metadata,
      authorization_servers: issuers.map((i) => i.issuer),
      bearer_methods_supported: ['header'],
    };
  }

  private async answer(error: unknown, scopes: string[]): Promise<HttpAnswer> {
    const response = bearerAuthChallengeResponse(error, {
      requiredScopes: scopes,
      ...(this.resourceMetadataUrl ? { resourceMetadataUrl: this.resourceMetadataUrl } : {}),
    });
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: await response.text(),
    };
  }

  private async verify(token: string): Promise<AuthInfo> {
    const now = (this.opts.now ?? Date.now)();
    const { modes } = this.opts;
    let caller: Caller;
    let expiresAt: number;
    if (token.startsWith(API_KEY_PREFIX)) {
      if (!modes.includes('api-key') || !this.opts.apiKeys) throw refusedMode('api keys (mcps_…)', 'api-key');
      const found = await callerForApiKey(this.opts.apiKeys, token, now);
      caller = found.caller;
      // Good until revoked: the SDK wants an expiry, and each request checks the key again anyway.
      expiresAt = Math.floor((found.expiresAt ?? now + 3_600_000) / 1000);
    } else if (/^(sk|rk|pk)_/.test(token)) {
      if (!modes.includes('stripe-key') || !this.opts.stripeKeys)
        throw refusedMode('Stripe keys', 'stripe-key');
      ({ caller, expiresAt } = await this.opts.stripeKeys.verify(token));
    } else {
      const verifier = this.issuerFor(token);
      ({ caller, expiresAt } = await verifier.verify(token, now));
    }
    return {
      token,
      clientId: caller.clientId ?? caller.id,
      scopes: [...caller.scopes],
      expiresAt,
      // Api keys and Stripe keys are this server's own credentials: they are for this resource.
      resource: this.opts.resource,
      extra: { caller },
    };
  }

  /** The verifier of the issuer that minted this token (by its unverified `iss`, only to pick a verifier). */
  private issuerFor(token: string): OAuthVerifier {
    const issuers = this.opts.issuers ?? [];
    if (issuers.length === 0) throw refusedMode('OAuth access tokens', 'oauth');
    if (issuers.length === 1) return issuers[0]!;
    let iss: string | undefined;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      // An opaque token: the issuer with an introspection endpoint, if any.
    }
    return issuers.find((i) => i.issuer === iss) ?? issuers[0]!;
  }
}

function notAMember(caller: Caller): HttpAnswer {
  return {
    status: 403,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      error: 'access_denied',
      error_description: `You are signed in (${caller.id}) but belong to no tenant of this server, so there is no Stripe account to act on. Ask its operator to add you to a tenant (tenants[].members in its config file).`,
    }),
  };
}

function refusedMode(what: string, mode: AuthMode): OAuthError {
  return new OAuthError(
    OAuthErrorCode.InvalidToken,
    `This server does not accept ${what} (--auth has no ${mode})`,
  );
}
