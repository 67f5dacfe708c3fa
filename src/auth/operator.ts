// Operators sign in to the console with OAuth: the console is a confidential client of the authorization
// server (the embedded one, or the external issuer), and a session opens only for a token that grants
// `stripe:admin`. The operator is the same caller id the MCP edge gives that person, so the approval
// store's rule "a caller never decides its own call" holds across the two ways in.
import type { OAuthVerifier } from './oauth.js';

/** Where the authorization server sends the operator back to (registered as the console client's redirect). */
export const CONSOLE_CALLBACK_PATH = '/console/oauth/callback';

export interface OperatorSignIn {
  issuer: string;
  client: { id: string; secret: string };
  /** `<origin>/console/oauth/callback`. */
  redirectUri: string;
  /** The resource the token is asked for (RFC 8707): this server's `/mcp`, the audience it checks. */
  resource: string;
  /** The operator an access token stands for, or why it may not operate this server. */
  operatorOf(token: string): Promise<{ operator: string } | { refused: string }>;
}

export function operatorSignIn(opts: {
  verifier: OAuthVerifier;
  client: { id: string; secret: string };
  origin: string;
  /** The embedded server: whether the subject is an admin user now (an external issuer decides itself). */
  isAdmin?: (subject: string) => boolean;
}): OperatorSignIn {
  const { verifier, isAdmin } = opts;
  return {
    issuer: verifier.issuer,
    client: opts.client,
    redirectUri: `${opts.origin}${CONSOLE_CALLBACK_PATH}`,
    resource: `${opts.origin}/mcp`,
    async operatorOf(token) {
      let caller;
      try {
        ({ caller } = await verifier.verify(token));
      } catch (err) {
        return { refused: `The authorization server's token did not verify: ${(err as Error).message}.` };
      }
      const admin = caller.scopes.has('stripe:admin') && (!isAdmin || isAdmin(caller.subject ?? ''));
      if (admin) return { operator: caller.id };
      return {
        refused: `You signed in as ${caller.id}, but that account may not operate this server: its token does not grant stripe:admin. ${
          isAdmin
            ? 'An operator is a user with "admin": true in the config file (mcp-stripe users add --admin).'
            : `Ask the administrator of ${verifier.issuer} to grant stripe:admin to operators.`
        }`,
      };
    },
  };
}
