/**
 * Storage ports. Adapters: memory/ (tests), sqlite/ (default, durable). Only adapters import drivers.
 * All methods are async so a networked adapter (Postgres) fits the same contract.
 */

/** Money moved (or about to be) by one call, for the rolling daily limit. */
export interface LedgerReservation {
  /** Who the limit belongs to: mode and Stripe account, e.g. `test:acct_123`. */
  scope: string;
  currency: string;
  amount: number;
  tool: string;
  /** The Stripe object the money moves through, when known before the call (pi_…, in_…). */
  objectId?: string;
  limit: number;
  /** Rolling window in milliseconds (24 h for the daily limit). */
  windowMs: number;
  now: number;
}

export type ReserveOutcome = { ok: true; id: string; used: number } | { ok: false; used: number };

export interface MoneyLedger {
  /**
   * Atomically: if what was reserved or moved in the window plus `amount` stays within `limit`,
   * record a reservation and return its id; otherwise record nothing. Reservations that are never
   * settled keep counting (a crash mid-call errs on the side of the limit).
   */
  reserve(r: LedgerReservation): Promise<ReserveOutcome>;
  /** The call succeeded: keep the entry, with the final amount and object. */
  settle(id: string, final: { amount: number; objectId?: string }): Promise<void>;
  /** The call failed before money moved: drop the reservation. */
  release(id: string): Promise<void>;
  /** Sum counted in the window for this scope and currency. */
  used(scope: string, currency: string, now: number, windowMs: number): Promise<number>;
  /** Sum already counted for one Stripe object in the window (so a capture does not count its authorization twice). */
  countedFor(scope: string, objectId: string, now: number, windowMs: number): Promise<number>;
}

export interface AuditRecord {
  /** ISO time the call started. */
  at: string;
  /** Session id, authenticated subject, or `stdio`. */
  caller: string;
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

export interface AuditLog {
  append(record: AuditRecord): Promise<void>;
  /** Oldest first, from `since` (inclusive); `limit` keeps the newest. */
  query(q: { since?: Date; limit?: number }): Promise<AuditRecord[]>;
}

export interface Store {
  ledger: MoneyLedger;
  audit: AuditLog;
  close(): Promise<void>;
}
