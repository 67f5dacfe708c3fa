import { randomBytes } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { META_KEY, type RefusalCode } from '../policy/refusal.js';
import type { ConfirmOutcome, ConfirmRequest } from '../tools/runner.js';

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'used';

export interface Approval {
  id: string;
  tool: string;
  binding: string;
  summary: string;
  reason: string;
  status: ApprovalStatus;
  createdAt: number;
  expiresAt: number;
}

/**
 * One-time approval links for clients that cannot ask their user (no elicitation): the call
 * returns a URL served by this server (`/approvals/<id>`), a person approves or denies there, and
 * the agent repeats the call. An approval is bound to the exact tool and canonical arguments,
 * expires, and is consumed by the first repeat.
 */
export class ApprovalService {
  private readonly approvals = new Map<string, Approval>();
  /** Set by the HTTP transport once it listens, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string | undefined;

  constructor(private readonly opts: { ttlMs: number; now?: () => number }) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  get available(): boolean {
    return this.baseUrl !== undefined;
  }

  url(id: string): string {
    return `${this.baseUrl ?? ''}/approvals/${id}`;
  }

  get(id: string): Approval | undefined {
    const a = this.approvals.get(id);
    // An unused decision expires like a pending request: approval is for now, not for later.
    if (a && ['pending', 'approved', 'denied'].includes(a.status) && this.now() >= a.expiresAt)
      a.status = 'expired';
    return a;
  }

  /** A person's decision on the approval page. */
  decide(id: string, decision: 'approve' | 'deny'): Approval | undefined {
    const a = this.get(id);
    if (a && a.status === 'pending') a.status = decision === 'approve' ? 'approved' : 'denied';
    return a;
  }

  /** The runner's confirmation step for one call. */
  confirm(req: ConfirmRequest): ConfirmOutcome {
    this.sweep();
    let pending: Approval | undefined;
    for (const a of this.approvals.values()) {
      if (a.binding !== req.binding) continue;
      const current = this.get(a.id)!;
      if (current.status === 'approved' || current.status === 'denied') {
        const approved = current.status === 'approved';
        current.status = 'used';
        return approved
          ? { kind: 'approved', by: `approval ${current.id}` }
          : { kind: 'declined', by: `approval page (${current.id})` };
      }
      if (current.status === 'pending') pending = current;
    }
    const approval = pending ?? this.create(req);
    return { kind: 'pending', result: this.pendingResult(approval) };
  }

  private create(req: ConfirmRequest): Approval {
    const now = this.now();
    const approval: Approval = {
      id: randomBytes(18).toString('base64url'),
      tool: req.tool,
      binding: req.binding,
      summary: req.summary,
      reason: req.reason,
      status: 'pending',
      createdAt: now,
      expiresAt: now + this.opts.ttlMs,
    };
    this.approvals.set(approval.id, approval);
    return approval;
  }

  private pendingResult(a: Approval): CallToolResult {
    const url = this.url(a.id);
    const minutes = Math.max(1, Math.round((a.expiresAt - this.now()) / 60_000));
    return {
      isError: true,
      content: [
        {
          type: 'text',
          text:
            `Not done yet: this call needs a person's approval because ${a.reason}. Nothing was sent to Stripe.\n` +
            `Ask the user to open ${url} and approve or deny it (the link works once and expires in ${minutes} min). ` +
            'After they approve, repeat exactly the same call with the same arguments.\n\n' +
            a.summary,
        },
      ],
      _meta: {
        [META_KEY]: {
          error: 'approval_required' satisfies RefusalCode,
          approval_url: url,
          expires_at: new Date(a.expiresAt).toISOString(),
        },
      },
    };
  }

  /** Forget approvals long past their expiry. */
  private sweep(): void {
    const cutoff = this.now() - this.opts.ttlMs;
    for (const [id, a] of this.approvals) if (a.expiresAt < cutoff) this.approvals.delete(id);
  }
}
