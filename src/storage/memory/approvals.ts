import { effectiveStatus, hashSecret, isLive, newApproval, newSecret, DECIDED } from '../approvals.js';
import type {
  ApprovalRecord,
  ApprovalRequest,
  ApprovalStatus,
  ApprovalStore,
  OperatorAuth,
  OperatorSession,
} from '../ports.js';

const copy = (a: ApprovalRecord, now: number): ApprovalRecord => ({ ...a, status: effectiveStatus(a, now) });

export class MemoryApprovals implements ApprovalStore {
  private readonly byId = new Map<string, ApprovalRecord>();

  constructor(private readonly retain: number) {}

  open(r: ApprovalRequest): Promise<{ approval: ApprovalRecord; created: boolean }> {
    const live = [...this.byId.values()].find((a) => a.binding === r.binding && isLive(a, r.now));
    if (live) return Promise.resolve({ approval: copy(live, r.now), created: false });
    const approval = newApproval(r);
    this.byId.set(approval.id, approval);
    // Bounded: the oldest go first.
    for (const id of this.byId.keys()) {
      if (this.byId.size <= this.retain) break;
      this.byId.delete(id);
    }
    return Promise.resolve({ approval: { ...approval }, created: true });
  }

  get(id: string, now: number): Promise<ApprovalRecord | undefined> {
    const a = this.byId.get(id);
    return Promise.resolve(a && copy(a, now));
  }

  list(q: { status?: ApprovalStatus | 'decided'; limit: number; now: number }): Promise<ApprovalRecord[]> {
    const wanted = (s: ApprovalStatus) =>
      q.status === undefined || (q.status === 'decided' ? DECIDED.includes(s) : s === q.status);
    return Promise.resolve(
      [...this.byId.values()]
        .map((a) => copy(a, q.now))
        .filter((a) => wanted(a.status))
        .sort((a, b) => b.createdAt - a.createdAt)
        .slice(0, q.limit),
    );
  }

  decide(
    id: string,
    d: { decision: 'approved' | 'denied'; by: string; note?: string; now: number },
  ): Promise<ApprovalRecord | undefined> {
    const a = this.byId.get(id);
    if (a && effectiveStatus(a, d.now) === 'pending')
      Object.assign(a, { status: d.decision, decidedAt: d.now, decidedBy: d.by, note: d.note ?? null });
    return Promise.resolve(a && copy(a, d.now));
  }

  consume(id: string, now: number): Promise<ApprovalRecord | undefined> {
    const a = this.byId.get(id);
    if (!a) return Promise.resolve(undefined);
    const status = effectiveStatus(a, now);
    if (status !== 'approved' && status !== 'denied') return Promise.resolve(undefined);
    const decided = copy(a, now);
    a.status = 'used';
    return Promise.resolve(decided);
  }
}

export class MemoryOperators implements OperatorAuth {
  private readonly signIns = new Map<string, { operator: string; expiresAt: number }>();
  private readonly sessions = new Map<string, OperatorSession>();
  private readonly values = new Map<string, string>();

  issueSignIn(operator: string, ttlMs: number, now: number): Promise<string> {
    // Expired links and sessions are forgotten as new ones are made.
    for (const [k, v] of this.signIns) if (v.expiresAt <= now) this.signIns.delete(k);
    for (const [k, v] of this.sessions) if (v.expiresAt <= now) this.sessions.delete(k);
    const token = newSecret();
    this.signIns.set(hashSecret(token), { operator, expiresAt: now + ttlMs });
    return Promise.resolve(token);
  }

  redeem(token: string, sessionTtlMs: number, now: number): Promise<string | undefined> {
    const key = hashSecret(token);
    const signIn = this.signIns.get(key);
    this.signIns.delete(key);
    if (!signIn || now >= signIn.expiresAt) return Promise.resolve(undefined);
    const id = newSecret();
    this.sessions.set(hashSecret(id), {
      operator: signIn.operator,
      csrf: newSecret(),
      expiresAt: now + sessionTtlMs,
    });
    return Promise.resolve(id);
  }

  session(id: string, now: number): Promise<OperatorSession | undefined> {
    const s = this.sessions.get(hashSecret(id));
    return Promise.resolve(s && now < s.expiresAt ? { ...s } : undefined);
  }

  endSession(id: string): Promise<void> {
    this.sessions.delete(hashSecret(id));
    return Promise.resolve();
  }

  setValue(key: string, value: string): Promise<void> {
    this.values.set(key, value);
    return Promise.resolve();
  }

  getValue(key: string): Promise<string | undefined> {
    return Promise.resolve(this.values.get(key));
  }
  keepValue(key: string, value: string): Promise<string> {
    if (!this.values.has(key)) this.values.set(key, value);
    return Promise.resolve(this.values.get(key)!);
  }
}
