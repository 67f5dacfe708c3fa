// Signing in to the console with OAuth: authorization code with PKCE (oauth4webapi) as a confidential
// client, asking for `stripe:admin` for this server's resource. The access token is checked by the same
// verifier as the MCP edge's, used once to name the operator, and dropped: it never reaches the browser.
import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import * as oauth from 'oauth4webapi';
import { discover, insecure } from '../auth/oauth.js';
import type { OperatorSignIn } from '../auth/operator.js';
import type { Logger } from '../log.js';
import type { OperatorAuth } from '../storage/ports.js';
import { SESSION_COOKIE, SESSION_TTL_MS } from './sign-in.js';

/** The flow in flight (state and PKCE verifier), for the callback; a sign-in not finished in 10 minutes is void. */
const FLOW_COOKIE = 'mcp_stripe_console_oauth';
const FLOW_TTL_S = 600;

export interface OAuthSignInDeps {
  signIn: OperatorSignIn;
  operators: Pick<OperatorAuth, 'issueSignIn' | 'redeem'>;
  logger: Logger;
  now: () => number;
  /** A signed-out page with this reason. */
  refuse: (c: Context, reason: string, status: 400 | 403 | 502) => Response | Promise<Response>;
  /** The page that takes a freshly signed-in operator on to the console. */
  signedIn: (c: Context) => Response | Promise<Response>;
}

export const OAUTH_START_PATH = '/console/oauth/start';

export function mountOAuthSignIn(app: Hono, deps: OAuthSignInDeps): void {
  const { signIn } = deps;
  const client: oauth.Client = { client_id: signIn.client.id };
  const auth = oauth.ClientSecretBasic(signIn.client.secret);
  const options = { [oauth.allowInsecureRequests]: insecure(signIn.issuer) };
  let metadata: Promise<oauth.AuthorizationServer> | undefined;
  // Discovered once; a failure is tried again on the next sign-in.
  const server = () =>
    (metadata ??= discover(signIn.issuer).catch((err: unknown) => {
      metadata = undefined;
      throw err;
    }));
  const secure = (c: Context) => new URL(c.req.url).protocol === 'https:';
  const unreachable = (c: Context) =>
    deps.refuse(
      c,
      `The authorization server ${signIn.issuer} could not be reached or did not answer as expected. Try again, or use the one-time link from the terminal.`,
      502,
    );

  app.get(OAUTH_START_PATH, async (c) => {
    let as: oauth.AuthorizationServer;
    try {
      as = await server();
    } catch (error) {
      deps.logger.warn('console sign-in: discovery failed', { issuer: signIn.issuer, error });
      return unreachable(c);
    }
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint!);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: signIn.client.id,
      redirect_uri: signIn.redirectUri,
      scope: 'stripe:admin',
      resource: signIn.resource,
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      // Operating the server is worth a fresh sign-in, whatever session the browser has there.
      prompt: 'login',
    }))
      url.searchParams.set(k, v);
    // Lax: the authorization server sends the browser back with a top-level GET, maybe from another site.
    setCookie(c, FLOW_COOKIE, `${state}.${verifier}`, {
      path: '/console/oauth',
      httpOnly: true,
      sameSite: 'Lax',
      secure: secure(c),
      maxAge: FLOW_TTL_S,
    });
    return c.redirect(url.href, 303);
  });

  app.get('/console/oauth/callback', async (c) => {
    const flow = getCookie(c, FLOW_COOKIE)?.split('.');
    deleteCookie(c, FLOW_COOKIE, { path: '/console/oauth' });
    if (flow?.length !== 2)
      return deps.refuse(
        c,
        'This sign-in was not started from this browser, or it took longer than 10 minutes. Start again.',
        400,
      );
    const [state, verifier] = flow as [string, string];
    let as: oauth.AuthorizationServer;
    try {
      as = await server();
    } catch {
      return unreachable(c);
    }
    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(as, client, new URL(c.req.url).searchParams, state);
    } catch (err) {
      if (err instanceof oauth.AuthorizationResponseError)
        return deps.refuse(
          c,
          `The authorization server did not sign you in: ${err.error_description ?? err.error}`,
          403,
        );
      return deps.refuse(
        c,
        'This answer does not belong to the sign-in this browser started (its state or issuer differs). Start again.',
        400,
      );
    }
    let token: string;
    try {
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        auth,
        params,
        signIn.redirectUri,
        verifier,
        { ...options, additionalParameters: { resource: signIn.resource } },
      );
      token = (await oauth.processAuthorizationCodeResponse(as, client, response)).access_token;
    } catch (error) {
      const detail = error instanceof oauth.ResponseBodyError ? error.error : 'no token';
      deps.logger.warn('console sign-in: the token request failed', { issuer: signIn.issuer, detail });
      return deps.refuse(c, `The authorization server issued no token (${detail}). Start again.`, 502);
    }
    const who = await signIn.operatorOf(token);
    if ('refused' in who) {
      deps.logger.warn('console sign-in refused', { reason: who.refused });
      return deps.refuse(c, who.refused, 403);
    }
    const now = deps.now();
    const session = await deps.operators.redeem(
      await deps.operators.issueSignIn(who.operator, 60_000, now),
      SESSION_TTL_MS,
      now,
    );
    setCookie(c, SESSION_COOKIE, session!, {
      path: '/console',
      httpOnly: true,
      sameSite: 'Strict',
      secure: secure(c),
      maxAge: SESSION_TTL_MS / 1000,
    });
    deps.logger.info('operator signed in to the console', { operator: who.operator });
    return deps.signedIn(c);
  });
}
