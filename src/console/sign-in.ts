// Console sign-in constants, apart from the console's pages so the CLI can name them without loading those.

/** How long a printed sign-in link works. */
export const SIGN_IN_TTL_MS = 15 * 60_000;
/** How long a console session lasts. */
export const SESSION_TTL_MS = 12 * 3600_000;
export const SESSION_COOKIE = 'mcp_stripe_console';
