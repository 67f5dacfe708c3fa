// An MCP client's OAuth state and a form-submitting browser, for tests that sign in to the embedded
// authorization server (or an external one) the way a person would.
import type { OAuthClientProvider } from '@modelcontextprotocol/client';

type Tokens = Awaited<ReturnType<OAuthClientProvider['tokens']>>;
type Info = Awaited<ReturnType<OAuthClientProvider['clientInformation']>>;

/** What an MCP client keeps between runs: its registration, its tokens, the PKCE verifier in flight. */
export class TestOAuthClient implements OAuthClientProvider {
  info: Info;
  saved: Tokens;
  verifier = '';
  authorizationUrl?: URL;
  readonly redirectUrl = 'http://127.0.0.1:1/callback';
  get clientMetadata() {
    return {
      client_name: 'Flow test client',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: NonNullable<Info>) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: NonNullable<Tokens>) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
}

/** A browser, as far as the sign-in needs one: cookies, redirects within the server, form posts. */
export class Browser {
  private cookies = new Map<string, string>();

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}) {
    const res = await fetch(url, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(init.form
          ? { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(url).origin }
          : {}),
      },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const [name, value] = [pair!.slice(0, i), pair!.slice(i + 1)];
      // A cleared cookie (`Max-Age=0`) is gone.
      if (/max-age=0/i.test(c) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** Follows redirects until a page (returned) or a redirect away from `origin` (its URL returned). */
  async follow(
    url: string,
    init: { method?: string; form?: Record<string, string> } = {},
    origin = new URL(url).origin,
  ) {
    let res = await this.request(url, init);
    let at = url;
    for (let hops = 0; res.status >= 300 && res.status < 400 && hops < 10; hops++) {
      at = new URL(res.headers.get('location')!, at).href;
      if (new URL(at).origin !== origin) return { left: new URL(at) };
      res = await this.request(at);
    }
    return { page: await res.text(), status: res.status, at };
  }
}

export const formAction = (page: string) => /<form method="post" action="([^"]+)"/.exec(page)![1]!;
