// A small external identity provider for tests: RFC 8414 metadata and a JWKS served over real HTTP on
// 127.0.0.1:0, and access tokens signed with jose (the same library a real IdP's tokens are checked with).
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface TestIdp {
  issuer: string;
  /** An access token; `claims` override the defaults (audience, scope, lifetime). */
  token(claims?: Record<string, unknown>, opts?: { kid?: string; key?: CryptoKey }): Promise<string>;
  /** A key pair the IdP does not publish (for an unknown `kid`). */
  strangerKey(): Promise<CryptoKey>;
  /** The published public key, as a JWK (for the HS256-with-the-public-key attack). */
  publicJwk: JWK;
  /** Publishes a new signing key (rotation); tokens then carry its kid. */
  rotate(): Promise<void>;
  /** How often the JWKS was fetched. */
  jwksFetches(): number;
  /** An opaque access token the introspection endpoint knows (client `mcp-stripe`, secret `s3cret`). */
  opaque(claims: Record<string, unknown>): string;
  /** How often the introspection endpoint was asked. */
  introspections(): number;
  close(): Promise<void>;
}

export async function startTestIdp(): Promise<TestIdp> {
  let keys: { kid: string; privateKey: CryptoKey; jwk: JWK }[] = [];
  const addKey = async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = `k${keys.length + 1}`;
    keys.push({ kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } });
  };
  await addKey();
  let fetches = 0;
  let introspections = 0;
  const opaque = new Map<string, Record<string, unknown>>();
  let issuer = '';
  const server: Server = createServer((req, res) => {
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/.well-known/oauth-authorization-server')
      return json({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      });
    if (req.url === '/introspect' && req.method === 'POST') {
      introspections++;
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        // RFC 6749 §2.3.1: the id and secret are form-encoded before Basic encoding.
        const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
        const [id, secret] = Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent);
        if (id !== 'mcp-stripe' || secret !== 's3cret') {
          res.writeHead(401, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'invalid_client' }));
          return;
        }
        const claims = opaque.get(new URLSearchParams(body).get('token') ?? '');
        json(claims ? { active: true, iss: issuer, ...claims } : { active: false });
      });
      return;
    }
    if (req.url === '/jwks') {
      fetches++;
      return json({ keys: keys.map((k) => k.jwk) });
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    issuer,
    publicJwk: keys[0]!.jwk,
    async token(claims = {}, opts = {}) {
      const current = keys.at(-1)!;
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ scope: 'stripe:read', client_id: 'test-client', ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? current.kid, typ: 'at+jwt' })
        .setIssuer((claims.iss as string | undefined) ?? issuer)
        .setSubject((claims.sub as string | undefined) ?? 'user-1')
        .setIssuedAt(now)
        .setExpirationTime((claims.exp as number | undefined) ?? now + 600)
        .sign(opts.key ?? current.privateKey);
    },
    strangerKey: async () => (await generateKeyPair('RS256')).privateKey,
    rotate: async () => {
      await addKey();
      keys = keys.slice(-1);
    },
    jwksFetches: () => fetches,
    opaque: (claims) => {
      const token = randomBytes(24).toString('hex');
      opaque.set(token, claims);
      return token;
    },
    introspections: () => introspections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
