// Rows as the SQL adapters (SQLite, Postgres) read them, and the records the ports return: one mapping
// for both. A boolean column is 0/1 in SQLite and a boolean in Postgres.
import { effectiveStatus } from './approvals.js';
import type {
  ApiKeyRecord,
  ApprovalRecord,
  ApprovalStatus,
  BillingSubscription,
  StoredEvent,
} from './ports.js';

type Bool = boolean | number;
const truthy = (v: Bool) => v === true || v === 1;

export interface EventRow {
  [k: string]: unknown;
  id: string;
  type: string;
  api_version: string | null;
  livemode: Bool;
  account: string | null;
  object_type: string | null;
  object_id: string | null;
  created: number;
  received_at: number;
  payload: string;
}

export const toEvent = (r: EventRow): StoredEvent => ({
  id: r.id,
  type: r.type,
  apiVersion: r.api_version,
  livemode: truthy(r.livemode),
  account: r.account,
  objectType: r.object_type,
  objectId: r.object_id,
  created: r.created,
  receivedAt: r.received_at,
  payload: JSON.parse(r.payload) as Record<string, unknown>,
});

export interface ApiKeyRow {
  [k: string]: unknown;
  id: string;
  name: string;
  hash: string;
  prefix: string;
  scopes: string;
  tenant: string | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

export const toApiKey = (r: ApiKeyRow): ApiKeyRecord => ({
  id: r.id,
  name: r.name,
  hash: r.hash,
  prefix: r.prefix,
  scopes: JSON.parse(r.scopes) as string[],
  tenant: r.tenant,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
});

export interface SubscriptionRow {
  [k: string]: unknown;
  mode: string;
  id: string;
  user_id: string;
  customer: string;
  plan: string | null;
  status: string;
  current_period_end: number | null;
  cancel_at_period_end: Bool;
  trial_end: number | null;
  as_of: number;
}

export const toSubscription = (r: SubscriptionRow): BillingSubscription => ({
  id: r.id,
  mode: r.mode,
  user: r.user_id,
  customer: r.customer,
  plan: r.plan,
  status: r.status,
  currentPeriodEnd: r.current_period_end,
  cancelAtPeriodEnd: truthy(r.cancel_at_period_end),
  trialEnd: r.trial_end,
  asOf: r.as_of,
});

export interface ApprovalRow {
  [k: string]: unknown;
  record: string;
  status: string;
}

/** The stored approval, with the status column (the source of truth for decisions). */
export const toApproval = (r: ApprovalRow): ApprovalRecord => ({
  ...(JSON.parse(r.record) as ApprovalRecord),
  status: r.status as ApprovalStatus,
});

/** The approval as of `now` (a pending one past its expiry reads as expired). */
export const approvalAt = (a: ApprovalRecord, now: number): ApprovalRecord => ({
  ...a,
  status: effectiveStatus(a, now),
});
