/**
 * Storage ports. Adapters: memory/ (tests, the sandbox), sqlite/ (default, durable), postgres/ (several
 * instances on one database). Only adapters import drivers. All methods are async.
 */
import type { RateLimiterAbstract } from 'rate-limiter-flexible';

/** Money moved (or about to be) by one call, for the rolling daily limit. */
export interface LedgerReservation {
  /** Who the limit belongs to: mode and Stripe account, e.g. `test:acct_123`. */
  scope: string;
  currency: string;
  amount: number;
  tool: string;
  /**
   * The Stripe object the money moves through, when known before the call (pi_…, in_…): what was
   * already counted for it in the window is not counted again (a capture after its authorization).
   */
  objectId?: string;
  /**
   * The call's idempotency key: a repeat of a call already counted in the window (a retry, a replay,
   * a call whose first outcome was unknown) shares its entry and counts nothing more.
   */
  key?: string;
  limit: number;
  /** Rolling window in milliseconds (24 h for the daily limit). */
  windowMs: number;
  now: number;
}

export type ReserveOutcome =
  /** `amount`: what this reservation counts (after what was already counted); `repeat`: an earlier entry with the same key. */
  | { ok: true; id: string; used: number; amount: number; repeat: boolean }
  | { ok: false; used: number; amount: number };

/** `settled`: the money moved. `unknown`: Stripe may have moved it (a 5xx, a dropped connection): it keeps counting. */
export type LedgerState = 'reserved' | 'settled' | 'unknown';

export interface MoneyLedger {
  /**
   * Atomically, in one step: skip what was already counted (same key, or the same object), and if
   * what was reserved or moved in the window plus the rest stays within `limit`, record a reservation
   * and return its id; otherwise record nothing. Reservations never settled keep counting (a crash
   * mid-call errs on the side of the limit).
   */
  reserve(r: LedgerReservation): Promise<ReserveOutcome>;
  /** The call ended: keep the entry, with its final state (and amount and object, when known). */
  settle(
    id: string,
    final: { state: 'settled' | 'unknown'; amount?: number; objectId?: string },
  ): Promise<void>;
  /** Stripe definitely refused the call (or it never reached Stripe): drop the reservation. */
  release(id: string): Promise<void>;
  /**
   * Sum counted in the window for this scope and currency: every entry after `now - windowMs`, also
   * one stamped later than `now` (a concurrent call that got there first, another instance's clock).
   */
  used(scope: string, currency: string, now: number, windowMs: number): Promise<number>;
  /** Sums counted in the window for this scope, per currency. */
  totals(scope: string, now: number, windowMs: number): Promise<Record<string, number>>;
  /** Sums counted in the window for every scope and currency (for `/metrics`). */
  usage(now: number, windowMs: number): Promise<LedgerUsage[]>;
}

export interface LedgerUsage {
  scope: string;
  currency: string;
  /** Minor units reserved or moved in the window. */
  amount: number;
}

export interface AuditRecord {
  /** ISO time the call started. */
  at: string;
  /** Session id, authenticated subject, or `stdio`. */
  caller: string;
  /** The tenant the call ran for (config `tenants`). */
  tenant?: string;
  tool: string;
  /** Arguments with secrets and card-like data masked. */
  args: unknown;
  /** `allowed`, `denied`, `confirmed`, `declined`, `approval_pending`. */
  decision: string;
  reason?: string;
  confirmedBy?: string;
  outcome: 'ok' | 'error' | 'refused' | 'pending';
  error?: string;
  requestIds: string[];
  idempotencyKey?: string;
  durationMs: number;
}

export interface AuditQuery {
  /** From this time (inclusive). */
  since?: Date;
  /** Before this time (exclusive). */
  until?: Date;
  tool?: string;
  outcome?: AuditRecord['outcome'];
  caller?: string;
  tenant?: string;
  /** Keeps the newest this many. */
  limit?: number;
}

export interface AuditLog {
  append(record: AuditRecord): Promise<void>;
  /** Oldest first; every filter given must match. */
  query(q: AuditQuery): Promise<AuditRecord[]>;
}

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'used';

/** A call waiting for (or given) a person's decision. Bound to the exact call: tool + canonical arguments. */
export interface ApprovalRecord {
  id: string;
  /** Hash of the tool and its canonical arguments. */
  binding: string;
  tool: string;
  /** Who asked: the MCP caller (session, subject, `stdio`). */
  caller: string;
  /** How the caller reached the server: `stdio` or `http`. */
  channel: string;
  /** A plain summary for the person deciding: action, amount, customer, objects. */
  summary: string;
  /** Why it needs a decision (the policy that asked). */
  reason: string;
  amount: number | null;
  currency: string | null;
  customer: string | null;
  status: ApprovalStatus;
  /** Unix milliseconds. */
  createdAt: number;
  expiresAt: number;
  decidedAt: number | null;
  /** The operator who decided. */
  decidedBy: string | null;
  /** Their reason, if they gave one. */
  note: string | null;
}

export type ApprovalRequest = Pick<
  ApprovalRecord,
  'binding' | 'tool' | 'caller' | 'channel' | 'summary' | 'reason' | 'amount' | 'currency' | 'customer'
> & { ttlMs: number; now: number };

/**
 * Approvals, durable and shared by every process on the same store: a console in one process decides
 * the calls of a server in another. A record past `expiresAt` reads as `expired` unless it was used.
 */
export interface ApprovalStore {
  /** The live approval for this exact call (pending, or decided and unused), else a new pending one. */
  open(r: ApprovalRequest): Promise<{ approval: ApprovalRecord; created: boolean }>;
  get(id: string, now: number): Promise<ApprovalRecord | undefined>;
  /** Newest first. `decided`: approved, denied, expired or used. */
  list(q: { status?: ApprovalStatus | 'decided'; limit: number; now: number }): Promise<ApprovalRecord[]>;
  /** Atomically: a pending, unexpired approval becomes approved or denied (once); undefined if unknown. */
  decide(
    id: string,
    d: { decision: 'approved' | 'denied'; by: string; note?: string; now: number },
  ): Promise<ApprovalRecord | undefined>;
  /** Atomically: a decided, unexpired, unused approval becomes used and is returned (once). */
  consume(id: string, now: number): Promise<ApprovalRecord | undefined>;
}

/** An operator's signed-in browser session. */
export interface OperatorSession {
  operator: string;
  /** Sent back with every state-changing request. */
  csrf: string;
  expiresAt: number;
}

/**
 * Console sign-in: one-time sign-in tokens (printed to the operator's terminal) and the sessions they
 * open. Only hashes of tokens and session ids are stored. Shared like approvals, so
 * `mcp-stripe console --print-link` in one process signs in to the console another serves.
 */
export interface OperatorAuth {
  /** A new one-time sign-in token (returned once), valid for `ttlMs`. */
  issueSignIn(operator: string, ttlMs: number, now: number): Promise<string>;
  /** Redeems a sign-in token once: a new session id, or undefined (unknown, used or expired). */
  redeem(token: string, sessionTtlMs: number, now: number): Promise<string | undefined>;
  session(id: string, now: number): Promise<OperatorSession | undefined>;
  endSession(id: string): Promise<void>;
  /** A small setting another process reads (the console's URL). */
  setValue(key: string, value: string): Promise<void>;
  getValue(key: string): Promise<string | undefined>;
  /** Stores `value` under `key` unless a value is there; returns the one kept (two instances agree). */
  keepValue(key: string, value: string): Promise<string>;
}

/** A key this server issued (`mcps_…`). Only its hash is kept: the key itself is shown once, at creation. */
export interface ApiKeyRecord {
  id: string;
  /** Unique among keys not revoked; the caller's identity (`key:<name>`). */
  name: string;
  /** SHA-256 of the key, hex. */
  hash: string;
  /** The key's first characters, to recognise it in a list (`mcps_AbCd`). */
  prefix: string;
  scopes: string[];
  tenant: string | null;
  /** Unix milliseconds. */
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
}

export interface ApiKeyStore {
  /** Stores a new key; false when an unrevoked key already has this name. */
  create(r: ApiKeyRecord): Promise<boolean>;
  byHash(hash: string): Promise<ApiKeyRecord | undefined>;
  /** Newest first, revoked ones included. */
  list(): Promise<ApiKeyRecord[]>;
  /** Revokes the unrevoked key with this id or name (once); undefined when there is none. */
  revoke(idOrName: string, now: number): Promise<ApiKeyRecord | undefined>;
}

/**
 * The embedded authorization server's state (clients, grants, sessions, codes, tokens, interactions),
 * one record per model and id, as oidc-provider's adapter contract asks. Expired records read as absent.
 */
export interface OAuthStateStore {
  upsert(
    model: string,
    id: string,
    payload: Record<string, unknown>,
    expiresAt: number | null,
    index: { grantId?: string; userCode?: string; uid?: string },
    now: number,
  ): Promise<void>;
  /** The payload, with `consumed` (Unix seconds) once consumed. */
  find(model: string, id: string, now: number): Promise<Record<string, unknown> | undefined>;
  findBy(
    model: string,
    field: 'uid' | 'userCode',
    value: string,
    now: number,
  ): Promise<Record<string, unknown> | undefined>;
  consume(model: string, id: string, now: number): Promise<void>;
  destroy(model: string, id: string): Promise<void>;
  /** Every record of the grant (its tokens and codes), whatever the model. */
  revokeByGrantId(grantId: string): Promise<void>;
  /** Live records of one model (the console lists registered clients), newest first. */
  list(
    model: string,
    now: number,
    limit: number,
  ): Promise<{ id: string; payload: Record<string, unknown> }[]>;
}

/** What this server knows of one Stripe subscription, kept in sync by webhooks (billing/projector.ts). */
export interface BillingSubscription {
  id: string;
  /** `test`, `live` or `sandbox`: test and live ids never meet. */
  mode: string;
  user: string;
  customer: string;
  /** The plan its price belongs to (plans file), or null when the price is not one of them. */
  plan: string | null;
  status: string;
  /** Unix seconds. */
  currentPeriodEnd: number | null;
  cancelAtPeriodEnd: boolean;
  trialEnd: number | null;
  /**
   * The Stripe event time (seconds) of this state, or the fetch time of a fresh read: an event older
   * than the stored state does not overwrite it (webhooks arrive out of order).
   */
  asOf: number;
}

/** One paid call, as the usage history keeps it. */
export interface UsageRecord {
  id: string;
  mode: string;
  user: string;
  tool: string;
  units: number;
  /** Unix milliseconds. */
  at: number;
  outcome: 'ok' | 'error';
}

/** A usage report waiting to reach Stripe (`/v1/billing/meter_events`), identified by the call's id. */
export interface MeterRow {
  id: string;
  mode: string;
  customer: string;
  event: string;
  value: number;
  /** Unix seconds: the meter event's timestamp. */
  at: number;
  attempts: number;
}

/**
 * Billing's durable state (charging for tools): who is which Stripe customer, their subscriptions,
 * quota counters, usage and the metering outbox. Everything is keyed by mode, so test and live stay
 * apart.
 */
export interface BillingStore {
  customerOf(mode: string, user: string): Promise<string | undefined>;
  /** Links a user to a customer; the first link wins (the customer now linked is returned). */
  linkCustomer(mode: string, user: string, customer: string): Promise<string>;
  userOfCustomer(mode: string, customer: string): Promise<string | undefined>;
  /** Stores the state unless the stored one is newer (`asOf`); whether it was stored. */
  putSubscription(sub: BillingSubscription): Promise<boolean>;
  subscription(mode: string, id: string): Promise<BillingSubscription | undefined>;
  subscriptionsOf(mode: string, user: string): Promise<BillingSubscription[]>;
  /** A customer deleted at Stripe: its link and subscriptions go. */
  forgetCustomer(mode: string, customer: string): Promise<void>;
  /**
   * Takes `units` from a quota window in one step (never past `limit`): whether they fit and what is
   * used after. `limit` undefined: no limit, always fits (usage is still counted).
   */
  reserve(key: QuotaKey, units: number, limit: number | undefined): Promise<{ ok: boolean; used: number }>;
  release(key: QuotaKey, units: number): Promise<void>;
  used(key: QuotaKey): Promise<number>;
  recordUsage(u: UsageRecord): Promise<void>;
  usageOf(mode: string, user: string, limit: number): Promise<UsageRecord[]>;
  /** Queues a meter event; a second one with the same id is ignored. */
  enqueueMeter(row: Omit<MeterRow, 'attempts'>): Promise<void>;
  /** Up to `limit` rows of this mode due by `now` (seconds), leased to this caller until `now + leaseS`. */
  claimMeters(mode: string, limit: number, now: number, leaseS: number): Promise<MeterRow[]>;
  meterSent(id: string): Promise<void>;
  /** Back in the queue, due again at `retryAt` (seconds). */
  meterFailed(id: string, retryAt: number): Promise<void>;
  meterBacklog(): Promise<number>;
}

/** A quota counter: one user, one window (`day:2026-12-02`, `month:2026-12`), one mode. */
export interface QuotaKey {
  mode: string;
  user: string;
  window: string;
}

export interface Store {
  ledger: MoneyLedger;
  billing: BillingStore;
  apiKeys: ApiKeyStore;
  oauth: OAuthStateStore;
  audit: AuditLog;
  events: EventLog;
  approvals: ApprovalStore;
  operators: OperatorAuth;
  /**
   * Per-caller rate-limit counters every instance on this store shares (Postgres). Absent: each
   * process counts its own.
   */
  rateLimiter?(points: number, durationS: number): RateLimiterAbstract;
  close(): Promise<void>;
}

/** A Stripe event as the event log keeps it. */
export interface StoredEvent {
  id: string;
  type: string;
  apiVersion: string | null;
  livemode: boolean;
  /** Connect account the event came from, if any. */
  account: string | null;
  objectType: string | null;
  objectId: string | null;
  /** Stripe's `created`, Unix seconds. */
  created: number;
  /**
   * When this server stored it, Unix milliseconds: by the store's clock where it has one (Postgres:
   * the database's, whatever is given here), else the value given.
   */
  receivedAt: number;
  /** The whole event as Stripe sent it. */
  payload: Record<string, unknown>;
  /** The payload's JSON text when already at hand (a webhook body): stored as is, not re-serialized. */
  payloadText?: string;
}

export interface EventQuery {
  /** Exact type, or a glob such as `invoice.*` or `*.succeeded`. */
  type?: string;
  objectId?: string;
  /** Only events with `created >= since` (Unix seconds). */
  since?: number;
  /** Only events stored after this moment (Unix milliseconds). */
  receivedAfter?: number;
  limit: number;
  /** Cursor: an event id from a previous page. */
  startingAfter?: string;
}

export interface ObjectState {
  objectId: string;
  objectType: string | null;
  /** The object as of the newest event seen for it. */
  state: Record<string, unknown>;
  eventId: string;
  created: number;
}

/**
 * Stripe's events, kept durably. `append` returns only once the event is stored; an id seen before
 * is a duplicate with no second effect. Per object, the latest state is the one from the newest event
 * by `created` (ties: the greater event id), so an event arriving late never rolls state back.
 */
export interface EventLog {
  append(event: StoredEvent): Promise<'stored' | 'duplicate'>;
  get(id: string): Promise<StoredEvent | undefined>;
  /** Newest first (by `created`, then id). */
  list(q: EventQuery): Promise<{ events: StoredEvent[]; hasMore: boolean }>;
  objectState(objectId: string): Promise<ObjectState | undefined>;
  count(): Promise<number>;
  /**
   * Told the id of every event any instance stores (Postgres: LISTEN/NOTIFY), so waiters wake at once
   * wherever the event arrived; `ready` once it listens. Absent: only this process's appends are known.
   */
  subscribe?(listener: (eventId: string) => void): { ready: Promise<void>; stop(): void };
  /**
   * The clock that stamps `receivedAt`, when it is not this host's (Postgres: the database's), so
   * "received after now" means the same on every instance. Absent: `Date.now()`.
   */
  now?(): Promise<number>;
}
