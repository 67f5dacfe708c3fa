// `--auth=oauth` (and the embedded authorization server's tokens): access tokens from an OAuth 2.1
// authorization server. JWTs are checked with jose against the issuer's JWKS, found by RFC 8414 /
// OpenID discovery (oauth4webapi); opaque tokens go to RFC 7662 introspection. Nothing here parses,
// verifies or signs a token by hand.
import { createHash } from 'node:crypto';
import { OAuthError, OAuthErrorCode } from '@modelcontextprotocol/server';
import {
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import * as oauth from 'oauth4webapi';
import { isLoopbackHost } from '../config/load.js';
import { scopesFrom, type Caller } from './caller.js';

/**
 * Asymmetric algorithms only: never `none`, never an HMAC (an HS256 token "signed" with the issuer's
 * public key must not verify).
 */
const ACCEPTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

const MAX_CACHED = 10_000;

/** Clock skew allowed on `exp` and `nbf`, seconds. */
const CLOCK_TOLERANCE_S = 30;

export interface VerifiedToken {
  caller: Caller;
  /** Unix seconds. */
  expiresAt: number;
  /** The audience the token was issued for (RFC 8707): checked against this server's resource. */
  resource: URL;
}

export interface OAuthVerifierOptions {
  issuer: string;
  /** This server's resource identifier (`<public-url>/mcp`): the audience every token must name. */
  resource: URL;
  introspection?: { url: string; clientId: string; clientSecret: string };
  /** Seconds after a JWKS fetch before an unknown `kid` may fetch it again (key rotation). */
  jwksCooldownSeconds?: number;
  /** The issuer's keys when they are at hand (the embedded server's own): no discovery, no fetch. */
  jwks?: JWTVerifyGetKey;
}

const invalid = (why: string) => new OAuthError(OAuthErrorCode.InvalidToken, why);
/** Plain http is allowed to loopback only (a test's or a local issuer). */
export const insecure = (url: string) => isLoopbackHost(new URL(url).hostname) && url.startsWith('http:');

/** Verifies access tokens of one issuer; discovery runs on first use and is retried after a failure. */
export class OAuthVerifier {
  private jwks?: Promise<JWTVerifyGetKey>;
  /** Introspection answers by token hash, kept no longer than the token lives (nor than 5 minutes). */
  private readonly introspected = new Map<string, { until: number; token: VerifiedToken }>();
  /**
   * JWTs already verified, by hash, until they expire: a client sends the same token on every request,
   * and a signature check costs more than the rest of the edge (the claims do not change; expiry is
   * checked again on every request).
   */
  private readonly verified = new Map<string, VerifiedToken>();

  constructor(private readonly opts: OAuthVerifierOptions) {}

  get issuer(): string {
    return this.opts.issuer;
  }

  async verify(token: string, now = Date.now()): Promise<VerifiedToken> {
    if (token.split('.').length === 3) {
      const key = createHash('sha256').update(token).digest('base64url');
      const hit = this.verified.get(key);
      if (hit && hit.expiresAt * 1000 > now) return hit;
      const fresh = await this.verifyJwt(token);
      if (this.verified.size >= MAX_CACHED) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(key, fresh);
      return fresh;
    }
    if (this.opts.introspection) return this.introspect(token, now);
    throw invalid(
      'The access token is not a JWT, and this server has no introspection endpoint for opaque tokens',
    );
  }

  private async verifyJwt(token: string): Promise<VerifiedToken> {
    const jwks = await this.keys();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: this.opts.issuer,
        audience: this.opts.resource.href,
        algorithms: ACCEPTED_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (err) {
      throw invalid(describeJoseError(err));
    }
    return this.toVerified(payload, payload.exp!);
  }

  private async introspect(token: string, now: number): Promise<VerifiedToken> {
    const key = createHash('sha256').update(token).digest('hex');
    const hit = this.introspected.get(key);
    if (hit && hit.until > now) return hit.token;
    const i = this.opts.introspection!;
    const as: oauth.AuthorizationServer = { issuer: this.opts.issuer, introspection_endpoint: i.url };
    const client: oauth.Client = { client_id: i.clientId };
    let claims: oauth.IntrospectionResponse;
    try {
      const response = await oauth.introspectionRequest(
        as,
        client,
        oauth.ClientSecretBasic(i.clientSecret),
        token,
        {
          [oauth.allowInsecureRequests]: insecure(i.url),
        },
      );
      claims = await oauth.processIntrospectionResponse(as, client, response);
    } catch {
      throw new OAuthError(
        OAuthErrorCode.ServerError,
        'The introspection endpoint did not answer as expected',
      );
    }
    if (!claims.active) throw invalid('The access token is not active');
    if (claims.iss !== undefined && claims.iss !== this.opts.issuer)
      throw invalid('The access token is from another issuer');
    const audiences = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud ?? []);
    if (!audiences.includes(this.opts.resource.href))
      throw invalid('The access token was not issued for this resource');
    if (typeof claims.exp !== 'number') throw invalid('The access token has no expiry');
    if (claims.exp + CLOCK_TOLERANCE_S < now / 1000) throw invalid('The access token has expired');
    const verified = this.toVerified(claims, claims.exp);
    this.introspected.set(key, { until: Math.min(claims.exp * 1000, now + 5 * 60_000), token: verified });
    if (this.introspected.size > MAX_CACHED) this.introspected.delete(this.introspected.keys().next().value!);
    return verified;
  }

  private toVerified(claims: Record<string, unknown>, exp: number): VerifiedToken {
    const str = (k: string) => (typeof claims[k] === 'string' ? claims[k] : undefined);
    const sub = str('sub');
    if (!sub) throw invalid('The access token names no subject');
    const groups = Array.isArray(claims.groups)
      ? claims.groups.filter((g) => typeof g === 'string')
      : undefined;
    const clientId = str('client_id') ?? str('azp');
    const email = str('email');
    const caller: Caller = {
      id: `oauth:${this.opts.issuer}#${sub}`,
      kind: 'oauth',
      issuer: this.opts.issuer,
      subject: sub,
      // `scope` (RFC 9068, a string) or `scp` (Okta, Entra: a list or a string).
      scopes: scopesFrom((claims.scope ?? claims.scp) as string | string[] | undefined),
      ...(clientId ? { clientId } : {}),
      ...(email ? { email } : {}),
      ...(groups ? { groups } : {}),
    };
    return { caller, expiresAt: exp, resource: this.opts.resource };
  }

  /** The issuer's JWKS, found by discovery once (a failed discovery is tried again on the next token). */
  private keys(): Promise<JWTVerifyGetKey> {
    if (this.opts.jwks) return Promise.resolve(this.opts.jwks);
    this.jwks ??= discover(this.opts.issuer).then(
      (as) => {
        if (!as.jwks_uri) throw new Error('the authorization server metadata has no jwks_uri');
        return createRemoteJWKSet(new URL(as.jwks_uri), {
          cooldownDuration: (this.opts.jwksCooldownSeconds ?? 30) * 1000,
          cacheMaxAge: 10 * 60_000,
        });
      },
      (err: unknown) => {
        this.jwks = undefined;
        throw err;
      },
    );
    return this.jwks.catch(() => {
      throw new OAuthError(
        OAuthErrorCode.ServerError,
        `The authorization server ${this.opts.issuer} could not be discovered (RFC 8414 / OpenID metadata)`,
      );
    });
  }
}

/** RFC 8414 metadata, else OpenID Connect discovery; the metadata must name the issuer exactly. */
export async function discover(issuer: string): Promise<oauth.AuthorizationServer> {
  const url = new URL(issuer);
  const options = { [oauth.allowInsecureRequests]: insecure(issuer) };
  let last: unknown;
  for (const algorithm of ['oauth2', 'oidc'] as const) {
    try {
      const response = await oauth.discoveryRequest(url, { ...options, algorithm });
      return await oauth.processDiscoveryResponse(url, response);
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

function describeJoseError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'The access token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return 'The access token is not valid yet';
    if (err.claim === 'iss') return 'The access token is from another issuer';
    if (err.claim === 'aud') return 'The access token was not issued for this resource';
    return `The access token's ${err.claim} claim is not acceptable`;
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed)
    return 'The access token is signed with an algorithm this server does not accept';
  if (err instanceof joseErrors.JWKSNoMatchingKey)
    return "The access token's signing key is not among the issuer's keys";
  if (err instanceof joseErrors.JWSSignatureVerificationFailed)
    return "The access token's signature does not verify";
  return 'The access token is not a valid JWT';
}
