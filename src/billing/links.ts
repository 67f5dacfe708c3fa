// Upgrade and portal links: absolute, signed (a JWT, HS256, with jose), short-lived, bound to the user,
// the plan and the mode. A forged or expired link is refused; a reused one opens the same Checkout
// Session (its id is the session's idempotency key), so it cannot start a second subscription.
import { randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { OperatorAuth } from '../storage/ports.js';
import { sharedKey } from '../storage/shared-key.js';

export const LINK_TTL_S = 30 * 60;
const KEY_SETTING = 'billing.link-key';

export interface LinkClaims {
  /** The user the link is for. */
  user: string;
  /** `upgrade` (to `plan`) or `portal`. */
  action: 'upgrade' | 'portal';
  plan?: string;
  mode: string;
  /** The link's id: the Checkout Session's idempotency key. */
  id: string;
}

export class BillingLinks {
  private constructor(
    private readonly key: Uint8Array,
    private readonly origin: string,
    private readonly now: () => number,
  ) {}

  /** The signing key is made once and kept in the store's settings (links survive a restart). */
  static async open(
    settings: Pick<OperatorAuth, 'keepValue'>,
    origin: string,
    now: () => number = Date.now,
  ): Promise<BillingLinks> {
    return new BillingLinks(await sharedKey(settings, KEY_SETTING), origin, now);
  }

  private get audience() {
    return `${this.origin}/billing`;
  }

  async url(claims: Omit<LinkClaims, 'id'>): Promise<string> {
    const iat = Math.floor(this.now() / 1000);
    const token = await new SignJWT({ act: claims.action, plan: claims.plan, mode: claims.mode })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.user)
      .setAudience(this.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + LINK_TTL_S)
      .setJti(randomUUID())
      .sign(this.key);
    return `${this.origin}/billing/${claims.action}/${token}`;
  }

  /** The link's claims, or why it is refused (forged, expired, for another action or mode). */
  async verify(
    token: string,
    action: LinkClaims['action'],
    mode: string,
  ): Promise<LinkClaims | { refused: string }> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        audience: this.audience,
        algorithms: ['HS256'],
        currentDate: new Date(this.now()),
        requiredClaims: ['sub', 'exp', 'jti'],
      });
      if (payload.act !== action || payload.mode !== mode)
        return { refused: 'This link is not for this page.' };
      return {
        user: payload.sub!,
        action,
        mode,
        id: payload.jti!,
        ...(typeof payload.plan === 'string' ? { plan: payload.plan } : {}),
      };
    } catch (err) {
      const expired = (err as { code?: string }).code === 'ERR_JWT_EXPIRED';
      return {
        refused: expired
          ? 'This link has expired (links work for 30 minutes). Ask the assistant for a new one.'
          : 'This link is not valid. Ask the assistant for a new one.',
      };
    }
  }
}
