import type Database from 'better-sqlite3';
import { DECIDED, effectiveStatus, hashSecret, newApproval, newSecret } from '../approvals.js';
import type {
  ApprovalRecord,
  ApprovalRequest,
  ApprovalStatus,
  ApprovalStore,
  OperatorAuth,
  OperatorSession,
} from '../ports.js';
import { approvalAt, toApproval, type ApprovalRow } from '../rows.js';

/** How long an expired approval stays listed (the console's history). */
const KEEP_MS = 30 * 86_400_000;

export const APPROVAL_MIGRATION = `CREATE TABLE approvals (
     id TEXT PRIMARY KEY,
     binding TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     record TEXT NOT NULL
   );
   CREATE INDEX approvals_binding ON approvals (binding, expires_at);
   CREATE INDEX approvals_created ON approvals (created_at DESC);
   CREATE TABLE operator_sign_ins (hash TEXT PRIMARY KEY, operator TEXT NOT NULL, expires_at INTEGER NOT NULL);
   CREATE TABLE operator_sessions (
     hash TEXT PRIMARY KEY,
     operator TEXT NOT NULL,
     csrf TEXT NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);`;

/** Approvals in SQLite: every change is one statement or one immediate transaction, so two processes agree. */
export class SqliteApprovals implements ApprovalStore {
  private readonly insert;
  private readonly byId;
  private readonly live;
  private readonly recent;
  private readonly save;
  private readonly prune;
  private readonly openTx;
  private readonly decideTx;
  private readonly consumeTx;

  constructor(
    db: Database.Database,
    private readonly wrote: () => void,
  ) {
    this.insert = db.prepare(
      'INSERT INTO approvals (id, binding, status, created_at, expires_at, record) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.byId = db.prepare<[string], ApprovalRow>('SELECT record, status FROM approvals WHERE id = ?');
    this.live = db.prepare<[string, number], ApprovalRow>(
      "SELECT record, status FROM approvals WHERE binding = ? AND expires_at > ? AND status IN ('pending', 'approved', 'denied') ORDER BY created_at DESC LIMIT 1",
    );
    this.recent = db.prepare<[number], ApprovalRow>(
      'SELECT record, status FROM approvals ORDER BY created_at DESC LIMIT ?',
    );
    this.save = db.prepare('UPDATE approvals SET status = ?, record = ? WHERE id = ?');
    this.prune = db.prepare('DELETE FROM approvals WHERE expires_at < ?');
    this.openTx = db.transaction((r: ApprovalRequest) => {
      // Bounded: approvals expired for longer than KEEP_MS are forgotten.
      this.prune.run(r.now - KEEP_MS);
      const found = this.live.get(r.binding, r.now);
      if (found) return { approval: toApproval(found), created: false };
      const approval = newApproval(r);
      this.insert.run(
        approval.id,
        approval.binding,
        approval.status,
        approval.createdAt,
        approval.expiresAt,
        JSON.stringify(approval),
      );
      return { approval, created: true };
    });
    this.decideTx = db.transaction(
      (id: string, d: { decision: 'approved' | 'denied'; by: string; note?: string; now: number }) => {
        const row = this.byId.get(id);
        if (!row) return undefined;
        const a = toApproval(row);
        if (effectiveStatus(a, d.now) !== 'pending') return a;
        const decided = { ...a, status: d.decision, decidedAt: d.now, decidedBy: d.by, note: d.note ?? null };
        this.save.run(decided.status, JSON.stringify(decided), id);
        return decided;
      },
    );
    this.consumeTx = db.transaction((id: string, now: number) => {
      const row = this.byId.get(id);
      if (!row) return undefined;
      const a = toApproval(row);
      const status = effectiveStatus(a, now);
      if (status !== 'approved' && status !== 'denied') return undefined;
      this.save.run('used', JSON.stringify({ ...a, status: 'used' }), id);
      return a;
    });
  }

  open(r: ApprovalRequest): Promise<{ approval: ApprovalRecord; created: boolean }> {
    this.wrote();
    return Promise.resolve(this.openTx.immediate(r));
  }

  get(id: string, now: number): Promise<ApprovalRecord | undefined> {
    const row = this.byId.get(id);
    return Promise.resolve(row && approvalAt(toApproval(row), now));
  }

  list(q: { status?: ApprovalStatus | 'decided'; limit: number; now: number }): Promise<ApprovalRecord[]> {
    const wanted = (s: ApprovalStatus) =>
      q.status === undefined || (q.status === 'decided' ? DECIDED.includes(s) : s === q.status);
    // Few approvals are live at once; the newest few thousand cover any page the console shows.
    const rows = this.recent.all(Math.max(q.limit * 20, 2000));
    return Promise.resolve(
      rows
        .map((r) => approvalAt(toApproval(r), q.now))
        .filter((a) => wanted(a.status))
        .slice(0, q.limit),
    );
  }

  decide(
    id: string,
    d: { decision: 'approved' | 'denied'; by: string; note?: string; now: number },
  ): Promise<ApprovalRecord | undefined> {
    this.wrote();
    const a = this.decideTx.immediate(id, d);
    return Promise.resolve(a && approvalAt(a, d.now));
  }

  consume(id: string, now: number): Promise<ApprovalRecord | undefined> {
    this.wrote();
    return Promise.resolve(this.consumeTx.immediate(id, now));
  }
}

export class SqliteOperators implements OperatorAuth {
  private readonly addSignIn;
  private readonly takeSignIn;
  private readonly addSession;
  private readonly getSession;
  private readonly dropSession;
  private readonly put;
  private readonly read;
  private readonly keep;
  private readonly redeemTx;
  private readonly sweep;

  constructor(db: Database.Database) {
    this.addSignIn = db.prepare(
      'INSERT INTO operator_sign_ins (hash, operator, expires_at) VALUES (?, ?, ?)',
    );
    const expiredSignIns = db.prepare('DELETE FROM operator_sign_ins WHERE expires_at <= ?');
    const expiredSessions = db.prepare('DELETE FROM operator_sessions WHERE expires_at <= ?');
    this.sweep = db.transaction((now: number) => {
      expiredSignIns.run(now);
      expiredSessions.run(now);
    });
    this.takeSignIn = db.prepare<[string], { operator: string; expires_at: number }>(
      'DELETE FROM operator_sign_ins WHERE hash = ? RETURNING operator, expires_at',
    );
    this.addSession = db.prepare(
      'INSERT INTO operator_sessions (hash, operator, csrf, expires_at) VALUES (?, ?, ?, ?)',
    );
    this.getSession = db.prepare<[string], { operator: string; csrf: string; expires_at: number }>(
      'SELECT operator, csrf, expires_at FROM operator_sessions WHERE hash = ?',
    );
    this.dropSession = db.prepare('DELETE FROM operator_sessions WHERE hash = ?');
    this.put = db.prepare(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.read = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?');
    this.keep = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING');
    this.redeemTx = db.transaction((token: string, sessionTtlMs: number, now: number) => {
      const signIn = this.takeSignIn.get(hashSecret(token));
      if (!signIn || now >= signIn.expires_at) return undefined;
      const id = newSecret();
      this.addSession.run(hashSecret(id), signIn.operator, newSecret(), now + sessionTtlMs);
      return id;
    });
  }

  issueSignIn(operator: string, ttlMs: number, now: number): Promise<string> {
    // Expired links and sessions are forgotten as new ones are made.
    this.sweep.immediate(now);
    const token = newSecret();
    this.addSignIn.run(hashSecret(token), operator, now + ttlMs);
    return Promise.resolve(token);
  }

  redeem(token: string, sessionTtlMs: number, now: number): Promise<string | undefined> {
    return Promise.resolve(this.redeemTx.immediate(token, sessionTtlMs, now));
  }

  session(id: string, now: number): Promise<OperatorSession | undefined> {
    const s = this.getSession.get(hashSecret(id));
    return Promise.resolve(
      s && now < s.expires_at ? { operator: s.operator, csrf: s.csrf, expiresAt: s.expires_at } : undefined,
    );
  }

  endSession(id: string): Promise<void> {
    this.dropSession.run(hashSecret(id));
    return Promise.resolve();
  }

  setValue(key: string, value: string): Promise<void> {
    this.put.run(key, value);
    return Promise.resolve();
  }

  getValue(key: string): Promise<string | undefined> {
    return Promise.resolve(this.read.get(key)?.value);
  }

  keepValue(key: string, value: string): Promise<string> {
    this.keep.run(key, value);
    return Promise.resolve(this.read.get(key)!.value);
  }
}
