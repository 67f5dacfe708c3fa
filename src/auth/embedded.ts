// `--auth=embedded`: an OAuth 2.1 authorization server in this process, for self-hosters with no
// identity provider and for the offline demo. It is oidc-provider: discovery, authorization code with
// PKCE (S256), resource indicators with audience-bound JWT access tokens, dynamic client registration,
// Client ID Metadata Documents, refresh-token rotation. This module supplies what the library leaves
// to its host: the users (from the config file), the sign-in and consent pages, and storage.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { UserEntry } from '../config/users.js';
import type { Logger } from '../log.js';
import type { OAuthStateStore, OperatorAuth } from '../storage/ports.js';
import { SCOPES, type Scope } from './caller.js';
import { OAuthVerifier } from './oauth.js';
import { CONSOLE_CALLBACK_PATH } from './operator.js';
import { verifyPassword } from './passwords.js';

/** Where the authorization server lives under this server's origin: its issuer is `<origin>/oauth`. */
const AS_PATH = '/oauth';
const KEYS_SETTING = 'oauth.signing-key';
const COOKIE_SETTING = 'oauth.cookie-keys';
const CONSOLE_SECRET_SETTING = 'oauth.console-client-secret';
/**
 * The operator console's own client: confidential, registered here and nowhere else, redirecting only to
 * the console. It is the one client `stripe:admin` is offered to, and only for admin users.
 */
const CONSOLE_CLIENT_ID = 'mcp-stripe-console';
const ACCESS_TOKEN_TTL_S = 3600;
const MAX_FORM_BYTES = 16 * 1024;

export interface EmbeddedOptions {
  /** This server's origin (`--public-url`, or the listen address). */
  origin: string;
  /** The resource its tokens are for: `<origin>/mcp`. */
  resource: URL;
  users: readonly UserEntry[];
  /** What clients may be granted (the policy's offered scopes). */
  scopes: readonly Scope[];
  state: OAuthStateStore;
  /** Where the signing key and cookie keys are kept (the store's settings), so tokens survive a restart. */
  settings: Pick<OperatorAuth, 'getValue' | 'setValue'>;
  trustProxy: boolean;
  logger: Logger;
  now?: () => number;
}

export interface EmbeddedAuthServer {
  issuer: string;
  /** Checks this server's own access tokens against its own keys (no network round trip). */
  verifier: OAuthVerifier;
  /** Serves the request when it is the authorization server's (`/oauth/…`, its discovery aliases). */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** The operator console's client (its secret made once and kept in the store). */
  consoleClient: { id: string; secret: string };
  /** Whether this subject is an admin user of the config file now (a demoted user's old grant counts for nothing). */
  isAdmin: (subject: string) => boolean;
}

export async function createEmbeddedAuthServer(opts: EmbeddedOptions): Promise<EmbeddedAuthServer> {
  const issuer = `${opts.origin}${AS_PATH}`;
  const { default: Provider, errors } = loadOidcProvider(opts.logger);
  const signing = await signingKey(opts.settings);
  const cookieKeys = await secretList(opts.settings, COOKIE_SETTING);
  const consoleSecret = (await secretList(opts.settings, CONSOLE_SECRET_SETTING))[0]!;
  const users = new Map(opts.users.map((u) => [u.username, u]));
  const resource = opts.resource.href;
  const offered = opts.scopes.join(' ');
  const now = opts.now ?? Date.now;

  const provider = new Provider(issuer, {
    adapter: adapterFor(opts.state, now),
    jwks: { keys: [signing] },
    cookies: { keys: cookieKeys },
    scopes: ['openid', 'offline_access', ...opts.scopes, 'stripe:admin'],
    clients: [
      {
        client_id: CONSOLE_CLIENT_ID,
        client_secret: consoleSecret,
        client_name: 'mcp-stripe console',
        redirect_uris: [`${opts.origin}${CONSOLE_CALLBACK_PATH}`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    claims: { openid: ['sub'], email: ['email'], profile: ['name'], groups: ['groups'] },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: 'ES256',
    },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      clientIdMetadataDocument: { enabled: true, ack: 'draft-02' },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // A client that names no resource gets tokens for this server (the only resource there is).
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator, client) => {
          if (indicator !== resource)
            throw new errors.InvalidTarget(`this server issues tokens for ${resource} only`);
          return {
            // MCP clients get the policy's scopes; the console gets stripe:admin and nothing else.
            scope: client.clientId === CONSOLE_CLIENT_ID ? 'stripe:admin' : offered,
            audience: resource,
            accessTokenTTL: ACCESS_TOKEN_TTL_S,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    // Refresh tokens for every client that may use them (MCP clients rarely ask for offline_access),
    // living apart from the browser session; rotated on use (the library's default for public clients).
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    expiresWithSession: () => false,
    findAccount: (_ctx, sub) => {
      const user = users.get(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: () => ({
          sub,
          ...(user.email ? { email: user.email } : {}),
          ...(user.name ? { name: user.name } : {}),
          ...(user.groups ? { groups: user.groups } : {}),
        }),
      };
    },
    extraTokenClaims: (_ctx, token) => {
      const user =
        'accountId' in token && typeof token.accountId === 'string' ? users.get(token.accountId) : undefined;
      return user
        ? { ...(user.email ? { email: user.email } : {}), ...(user.groups ? { groups: user.groups } : {}) }
        : {};
    },
    interactions: { url: (_ctx, interaction) => `${AS_PATH}/interaction/${interaction.uid}` },
    clientBasedCORS: () => true,
    ttl: { AccessToken: ACCESS_TOKEN_TTL_S, Interaction: 600, Session: 86_400 * 14, Grant: 86_400 * 365 },
  });
  provider.proxy = opts.trustProxy;
  provider.on('server_error', (_ctx, error) => opts.logger.error('authorization server error', { error }));

  const callback = provider.callback();
  const pages = interactionPages(provider, users, opts.logger);
  const publicJwk: JWK = {
    kty: signing.kty,
    crv: signing.crv,
    x: signing.x,
    y: signing.y,
    kid: signing.kid,
    alg: 'ES256',
  };
  const verifier = new OAuthVerifier({
    issuer,
    resource: opts.resource,
    jwks: createLocalJWKSet({ keys: [publicJwk] }),
  });

  return {
    issuer,
    verifier,
    consoleClient: { id: CONSOLE_CLIENT_ID, secret: consoleSecret },
    isAdmin: (subject) => users.get(subject)?.admin === true,
    handle(req, res) {
      const url = req.url ?? '/';
      const path = url.split('?')[0]!;
      // RFC 8414 and OpenID discovery at the origin for an issuer with a path.
      if (
        path === `/.well-known/oauth-authorization-server${AS_PATH}` ||
        path === `/.well-known/openid-configuration${AS_PATH}`
      ) {
        mount(req, `${AS_PATH}/.well-known/openid-configuration`);
        void callback(req, res);
        return true;
      }
      if (path !== AS_PATH && !path.startsWith(`${AS_PATH}/`)) return false;
      if (path.startsWith(`${AS_PATH}/interaction/`)) {
        pages(req, res).catch((error: unknown) => {
          opts.logger.error('sign-in page failed', { error });
          if (!res.headersSent)
            page(res, 500, 'Something went wrong', html`<p>Try signing in again from your MCP client.</p>`);
        });
        return true;
      }
      mount(req, url);
      void callback(req, res);
      return true;
    },
  };
}

/**
 * oidc-provider, loaded with require(esm) (Node 20.19+): an `import()` in the bundle loses its loader
 * when V8's code cache is used (src/boot.ts). The warning it prints on Node 20 ("use Node 22") is kept
 * out of the structured log lines and logged at debug level.
 */
export function loadOidcProvider(logger: Pick<Logger, 'debug'>): typeof import('oidc-provider') {
  /* eslint-disable no-console -- the library's own start-up warning, redirected into the log */
  const warn = console.warn;
  console.warn = (...args: unknown[]) =>
    logger.debug('oidc-provider', { message: args.map(String).join(' ') });
  try {
    return createRequire(import.meta.url)('oidc-provider') as typeof import('oidc-provider');
  } finally {
    console.warn = warn;
  }
  /* eslint-enable no-console */
}

/** oidc-provider sees the path below its mount point; `originalUrl` tells it where it is mounted. */
function mount(req: IncomingMessage, url: string): void {
  (req as IncomingMessage & { originalUrl?: string }).originalUrl = url;
  req.url = url.slice(AS_PATH.length) || '/';
}

type ProviderInstance = InstanceType<(typeof import('oidc-provider'))['default']>;

/** The sign-in page (username and password from the config file) and the consent page. */
function interactionPages(provider: ProviderInstance, users: Map<string, UserEntry>, logger: Logger) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const details = await provider.interactionDetails(req, res);
    const { uid, prompt, params } = details;
    const client = await provider.Client.find(String(params.client_id));
    const clientName = client?.clientName ?? String(params.client_id);
    const action = `${AS_PATH}/interaction/${uid}`;
    // The console is for operators: anyone else is sent back to it refused, before any consent.
    const notAnOperator = (accountId: string | undefined) =>
      params.client_id === CONSOLE_CLIENT_ID && !(accountId && users.get(accountId)?.admin)
        ? provider.interactionFinished(
            req,
            res,
            {
              error: 'access_denied',
              error_description: `${accountId ?? 'This account'} is not an admin of this server, so it may not operate it (an admin user has "admin": true in the config file: mcp-stripe users add --admin).`,
            },
            { mergeWithLastSubmission: false },
          )
        : undefined;
    if (prompt.name === 'consent') {
      const refused = notAnOperator(details.session?.accountId);
      if (refused) return refused;
    }

    if (req.method === 'GET') {
      if (prompt.name === 'login') return loginPage(res, action, clientName);
      return consentPage(
        res,
        action,
        clientName,
        requestedScopes(prompt.details, typeof params.scope === 'string' ? params.scope : ''),
      );
    }
    if (req.method !== 'POST') return page(res, 405, 'Not allowed', html`<p>Use the form.</p>`);
    const form = await readForm(req);
    if (!form) return page(res, 413, 'Too large', html`<p>The form was larger than expected.</p>`);

    if (form.get('action') === 'deny') {
      return provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'The user declined the authorization.' },
        { mergeWithLastSubmission: false },
      );
    }
    if (prompt.name === 'login') {
      const username = form.get('username') ?? '';
      const user = users.get(username);
      // The same answer (and the same work) whether the user is unknown or the password wrong.
      const ok = await verifyPassword(form.get('password') ?? '', user?.passwordHash ?? DUMMY_HASH);
      if (!user || !ok) {
        logger.warn('embedded sign-in refused', { username: username.slice(0, 64) });
        return loginPage(
          res,
          action,
          clientName,
          'That username and password do not match a user of this server.',
        );
      }
      return (
        notAnOperator(user.username) ??
        provider.interactionFinished(
          req,
          res,
          { login: { accountId: user.username } },
          { mergeWithLastSubmission: false },
        )
      );
    }
    // Consent: grant what was asked (and this server offers), bound to this server as the resource.
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session!.accountId, clientId: String(params.client_id) });
    if (!grant)
      return page(
        res,
        400,
        'Expired',
        html`<p>This authorization expired. Start again from your MCP client.</p>`,
      );
    const missing = prompt.details as {
      missingOIDCScope?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
      grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    return provider.interactionFinished(
      req,
      res,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
  };
}

/** A hash no password matches, so an unknown username costs what a wrong password does. */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

function requestedScopes(details: unknown, fallback: string): Scope[] {
  const d = details as { missingResourceScopes?: Record<string, string[]> };
  const asked = Object.values(d.missingResourceScopes ?? {}).flat();
  const list = asked.length ? asked : fallback.split(' ');
  // In the order SCOPES declares them, so the page reads the same whatever order the client asked in.
  return (Object.keys(SCOPES) as Scope[]).filter((s) => list.includes(s));
}

function loginPage(res: ServerResponse, action: string, client: string, error?: string) {
  return page(
    res,
    error ? 401 : 200,
    'Sign in',
    html`<p>
        <strong>${client}</strong> wants to use this Stripe MCP server on your behalf. Sign in to continue.
      </p>
      ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
      <form method="post" action="${action}">
        <label>Username <input name="username" autocomplete="username" required autofocus /></label>
        <label
          >Password <input name="password" type="password" autocomplete="current-password" required
        /></label>
        <button type="submit" name="action" value="login">Sign in</button>
        <button type="submit" name="action" value="deny" formnovalidate>Cancel</button>
      </form>`,
  );
}

function consentPage(res: ServerResponse, action: string, client: string, scopes: Scope[]) {
  return page(
    res,
    200,
    'Allow access?',
    html`<p><strong>${client}</strong> asks to:</p>
      <ul>
        ${scopes.map((s) => html`<li><code>${s}</code>: ${SCOPES[s]}</li>`)}
      </ul>
      <p>The server's own limits still apply: its policy, per-call caps, daily limits and confirmations.</p>
      <form method="post" action="${action}">
        <button type="submit" name="action" value="allow">Allow</button>
        <button type="submit" name="action" value="deny">Deny</button>
      </form>`,
  );
}

function page(res: ServerResponse, status: number, title: string, body: unknown) {
  const doc = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} &middot; mcp-stripe</title>
        <style>
          body {
            font:
              16px/1.5 system-ui,
              sans-serif;
            max-width: 32rem;
            margin: 3rem auto;
            padding: 0 1rem;
          }
          label {
            display: block;
            margin: 0.75rem 0;
          }
          input {
            display: block;
            width: 100%;
            padding: 0.4rem;
          }
          button {
            margin: 0.75rem 0.5rem 0 0;
            padding: 0.4rem 1rem;
          }
          .error {
            color: #b00020;
          }
        </style>
      </head>
      <body>
        <h1>${title}</h1>
        ${body}
      </body>
    </html>`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy':
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
  });
  // hono/html escapes every interpolated value; a template with no async parts renders synchronously.
  res.end((doc as HtmlEscapedString).toString());
}

function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  return new Promise((resolve, reject) => {
    let body = '';
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_FORM_BYTES) body += chunk.toString('utf8');
    });
    req.on('end', () => resolve(size > MAX_FORM_BYTES ? undefined : new URLSearchParams(body)));
    req.on('error', reject);
  });
}

/** The ES256 signing key, made once and kept in the store (a restart keeps issued tokens valid). */
async function signingKey(settings: EmbeddedOptions['settings']): Promise<JWK> {
  const kept = await settings.getValue(KEYS_SETTING);
  if (kept) return JSON.parse(kept) as JWK;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = {
    ...(await exportJWK(privateKey)),
    kid: randomBytes(8).toString('hex'),
    alg: 'ES256',
    use: 'sig',
  };
  await settings.setValue(KEYS_SETTING, JSON.stringify(jwk));
  return jwk;
}

async function secretList(settings: EmbeddedOptions['settings'], key: string): Promise<string[]> {
  const kept = await settings.getValue(key);
  if (kept) return JSON.parse(kept) as string[];
  const keys = [randomBytes(32).toString('base64url')];
  await settings.setValue(key, JSON.stringify(keys));
  return keys;
}

/** oidc-provider's adapter contract over the store's OAuth state port. */
function adapterFor(state: OAuthStateStore, now: () => number) {
  return class StoreAdapter {
    constructor(private readonly model: string) {}
    async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
      const index = {
        ...(typeof payload.grantId === 'string' ? { grantId: payload.grantId } : {}),
        ...(typeof payload.userCode === 'string' ? { userCode: payload.userCode } : {}),
        ...(typeof payload.uid === 'string' ? { uid: payload.uid } : {}),
      };
      const at = now();
      await state.upsert(this.model, id, payload, expiresIn ? at + expiresIn * 1000 : null, index, at);
    }
    find(id: string) {
      return state.find(this.model, id, now());
    }
    findByUserCode(userCode: string) {
      return state.findBy(this.model, 'userCode', userCode, now());
    }
    findByUid(uid: string) {
      return state.findBy(this.model, 'uid', uid, now());
    }
    consume(id: string) {
      return state.consume(this.model, id, now());
    }
    destroy(id: string) {
      return state.destroy(this.model, id);
    }
    revokeByGrantId(grantId: string) {
      return state.revokeByGrantId(grantId);
    }
  };
}
