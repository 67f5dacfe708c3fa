// Adapter-neutral pieces of the approval and operator-auth stores: ids, tokens, expiry.
import { createHash, randomBytes } from 'node:crypto';
import type { ApprovalRecord, ApprovalRequest, ApprovalStatus } from './ports.js';

export const newApprovalId = () => `apr_${randomBytes(12).toString('base64url')}`;
/** A secret for a sign-in link or a session cookie: 32 random bytes. */
export const newSecret = () => randomBytes(32).toString('base64url');
/** What the store keeps of a secret: its hash, so a copy of the store signs nobody in. */
export const hashSecret = (s: string) => createHash('sha256').update(s).digest('hex');

/** The status as of `now`: an undecided or unused decision past its expiry reads as expired. */
export function effectiveStatus(
  a: Pick<ApprovalRecord, 'status' | 'expiresAt'>,
  now: number,
): ApprovalStatus {
  return a.status !== 'used' && a.status !== 'expired' && now >= a.expiresAt ? 'expired' : a.status;
}

export function isLive(a: ApprovalRecord, now: number): boolean {
  const s = effectiveStatus(a, now);
  return s === 'pending' || s === 'approved' || s === 'denied';
}

export function newApproval(r: ApprovalRequest): ApprovalRecord {
  return {
    id: newApprovalId(),
    binding: r.binding,
    tool: r.tool,
    caller: r.caller,
    channel: r.channel,
    summary: r.summary,
    reason: r.reason,
    amount: r.amount,
    currency: r.currency,
    customer: r.customer,
    status: 'pending',
    createdAt: r.now,
    expiresAt: r.now + r.ttlMs,
    decidedAt: null,
    decidedBy: null,
    note: null,
  };
}

export const DECIDED: readonly ApprovalStatus[] = ['approved', 'denied', 'expired', 'used'];
