// Who is calling: every tool call has one Caller, made by the HTTP edge from the request's credentials
// (or `stdio` / loopback HTTP without authentication). Audit, daily limits, approvals and policy read it.

/** What a caller may do; each maps onto the permission model (read tools, writes, money, operator). */
export const SCOPES = {
  'stripe:read': 'see your Stripe data: customers, payments, subscriptions, balances and events',
  'stripe:write': 'create and change Stripe objects that move no money (customers, products, prices)',
  'stripe:money': "move money (charges, refunds, payouts, invoices), within this server's limits",
  'stripe:admin': 'operate this server: sign in to its console and decide approvals',
} as const;
export type Scope = keyof typeof SCOPES;

/** The scopes an MCP client may be granted; `stripe:admin` is for operators, never granted by default. */
export const CLIENT_SCOPES: readonly Scope[] = ['stripe:read', 'stripe:write', 'stripe:money'];

export const isScope = (s: string): s is Scope => s in SCOPES;

/** How the caller proved who it is. */
export type CallerKind = 'local' | 'oauth' | 'api-key' | 'stripe-key';

export interface Caller {
  /**
   * Stable and printable: what the audit log records and daily limits and approvals key on.
   * `stdio`, `http` (loopback without authentication), `oauth:<issuer>#<subject>`, `key:<name>`,
   * `stripe:<account>/…<last4>`.
   */
  id: string;
  kind: CallerKind;
  scopes: ReadonlySet<Scope>;
  issuer?: string;
  subject?: string;
  clientId?: string;
  email?: string;
  groups?: readonly string[];
  /** An api key's name. */
  name?: string;
  /** The tenant an api key was issued for. */
  tenant?: string;
  /** The tenants this caller belongs to (config `tenants`), set by the HTTP edge. */
  tenants?: readonly string[];
  /** stripe-key callers: the key this request carries, used for its calls only (never logged), and its account. */
  stripe?: { key: string; account: string; mode: 'test' | 'live' };
}

/** The caller the HTTP edge put on the SDK's AuthInfo (undefined: a request that was not authenticated). */
export const callerOf = (authInfo: { extra?: Record<string, unknown> } | undefined): Caller | undefined =>
  authInfo?.extra?.caller as Caller | undefined;

/** A local caller (stdio, or loopback HTTP without authentication): trusted with every client scope. */
export function localCaller(id: string): Caller {
  return { id, kind: 'local', scopes: new Set(CLIENT_SCOPES) };
}

/** The scopes named in an OAuth `scope` string or list that this server knows (others, like `openid`, are ignored). */
export function scopesFrom(granted: string | readonly string[] | undefined): Set<Scope> {
  const list = typeof granted === 'string' ? granted.split(/\s+/) : (granted ?? []);
  return new Set(list.filter(isScope));
}

/** What a tool, or one call of it, needs: reads, writes that move no money, or money. */
export function scopeFor(access: { write: boolean; moneyMoving: boolean }): Scope {
  return access.moneyMoving ? 'stripe:money' : access.write ? 'stripe:write' : 'stripe:read';
}
