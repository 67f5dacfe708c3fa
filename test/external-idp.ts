// An external identity provider for tests: a separately started oidc-provider, with the library's own
// development sign-in and consent pages, dynamic registration and audience-bound JWT access tokens.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import { loadOidcProvider } from '../src/auth/embedded.js';
import { silentLogger } from '../src/log.js';

/**
 * `console`: a confidential client for mcp-stripe's console, the one client this issuer grants
 * `stripe:admin` (as an operator's identity provider would be set up).
 */
export async function startExternalIdp(
  opts: { console?: { clientId: string; clientSecret: string; redirectUri: string } } = {},
): Promise<{ issuer: string; close(): Promise<void> }> {
  const { default: Provider } = loadOidcProvider(silentLogger);
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' };
  const serve: { handler?: ReturnType<InstanceType<typeof Provider>['callback']> } = {};
  const server: Server = createServer((req, res) => void serve.handler!(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Its notice about the development pages is expected here: kept out of the test output.
  const warn = console.warn;
  console.warn = () => {};
  const provider = new Provider(issuer, {
    jwks: { keys: [jwk] },
    scopes: ['openid', 'offline_access', 'stripe:read', 'stripe:write', 'stripe:money', 'stripe:admin'],
    clients: opts.console
      ? [
          {
            client_id: opts.console.clientId,
            client_secret: opts.console.clientSecret,
            redirect_uris: [opts.console.redirectUri],
            grant_types: ['authorization_code'],
            token_endpoint_auth_method: 'client_secret_basic',
          },
        ]
      : [],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
    },
    features: {
      devInteractions: { enabled: true },
      registration: { enabled: true },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator, client) => ({
          scope:
            client.clientId === opts.console?.clientId
              ? 'stripe:admin'
              : 'stripe:read stripe:write stripe:money',
          audience: indicator,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  });
  console.warn = warn;
  serve.handler = provider.callback();
  return { issuer, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
