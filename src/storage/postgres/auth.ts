// Approvals, console sign-in and settings, issued api keys and the embedded authorization server's state,
// on Postgres. An approval is decided once: the decision reads and writes its row under a row lock.
import { DECIDED, effectiveStatus, hashSecret, newApproval, newSecret } from '../approvals.js';
import type {
  ApiKeyRecord,
  ApiKeyStore,
  ApprovalRecord,
  ApprovalRequest,
  ApprovalStatus,
  ApprovalStore,
  OAuthStateStore,
  OperatorAuth,
  OperatorSession,
} from '../ports.js';
import { approvalAt, toApiKey, toApproval, type ApiKeyRow, type ApprovalRow } from '../rows.js';
import type { Db } from './db.js';

/** How long an expired approval stays listed (the console's history). */
const KEEP_MS = 30 * 86_400_000;

export class PgApprovals implements ApprovalStore {
  constructor(private readonly db: Db) {}

  open(r: ApprovalRequest): Promise<{ approval: ApprovalRecord; created: boolean }> {
    return this.db.tx(async (q) => {
      // The same call asked on two instances at once opens one approval.
      await q('SELECT pg_advisory_xact_lock(hashtext($1))', [`approval:${r.binding}`]);
      await q('DELETE FROM approvals WHERE expires_at < $1', [r.now - KEEP_MS]);
      const [found] = await q<ApprovalRow>(
        "SELECT record, status FROM approvals WHERE binding = $1 AND expires_at > $2 AND status IN ('pending', 'approved', 'denied') ORDER BY created_at DESC LIMIT 1",
        [r.binding, r.now],
      );
      if (found) return { approval: toApproval(found), created: false };
      const approval = newApproval(r);
      await q(
        'INSERT INTO approvals (id, binding, status, created_at, expires_at, record) VALUES ($1, $2, $3, $4, $5, $6)',
        [
          approval.id,
          approval.binding,
          approval.status,
          approval.createdAt,
          approval.expiresAt,
          JSON.stringify(approval),
        ],
      );
      return { approval, created: true };
    });
  }

  async get(id: string, now: number): Promise<ApprovalRecord | undefined> {
    const [row] = await this.db.query<ApprovalRow>('SELECT record, status FROM approvals WHERE id = $1', [
      id,
    ]);
    return row && approvalAt(toApproval(row), now);
  }

  async list(q: {
    status?: ApprovalStatus | 'decided';
    limit: number;
    now: number;
  }): Promise<ApprovalRecord[]> {
    const wanted = (s: ApprovalStatus) =>
      q.status === undefined || (q.status === 'decided' ? DECIDED.includes(s) : s === q.status);
    const rows = await this.db.query<ApprovalRow>(
      'SELECT record, status FROM approvals ORDER BY created_at DESC LIMIT $1',
      [Math.max(q.limit * 20, 2000)],
    );
    return rows
      .map((r) => approvalAt(toApproval(r), q.now))
      .filter((a) => wanted(a.status))
      .slice(0, q.limit);
  }

  async decide(
    id: string,
    d: { decision: 'approved' | 'denied'; by: string; note?: string; now: number },
  ): Promise<ApprovalRecord | undefined> {
    const a = await this.db.tx(async (q) => {
      const [row] = await q<ApprovalRow>('SELECT record, status FROM approvals WHERE id = $1 FOR UPDATE', [
        id,
      ]);
      if (!row) return undefined;
      const current = toApproval(row);
      if (effectiveStatus(current, d.now) !== 'pending') return current;
      const decided = {
        ...current,
        status: d.decision,
        decidedAt: d.now,
        decidedBy: d.by,
        note: d.note ?? null,
      };
      await q('UPDATE approvals SET status = $1, record = $2 WHERE id = $3', [
        decided.status,
        JSON.stringify(decided),
        id,
      ]);
      return decided;
    });
    return a && approvalAt(a, d.now);
  }

  consume(id: string, now: number): Promise<ApprovalRecord | undefined> {
    return this.db.tx(async (q) => {
      const [row] = await q<ApprovalRow>('SELECT record, status FROM approvals WHERE id = $1 FOR UPDATE', [
        id,
      ]);
      if (!row) return undefined;
      const a = toApproval(row);
      const status = effectiveStatus(a, now);
      if (status !== 'approved' && status !== 'denied') return undefined;
      await q('UPDATE approvals SET status = $1, record = $2 WHERE id = $3', [
        'used',
        JSON.stringify({ ...a, status: 'used' }),
        id,
      ]);
      return a;
    });
  }
}

export class PgOperators implements OperatorAuth {
  constructor(private readonly db: Db) {}

  async issueSignIn(operator: string, ttlMs: number, now: number): Promise<string> {
    // Expired links and sessions are forgotten as new ones are made.
    await this.db.query('DELETE FROM operator_sign_ins WHERE expires_at <= $1', [now]);
    await this.db.query('DELETE FROM operator_sessions WHERE expires_at <= $1', [now]);
    const token = newSecret();
    await this.db.query('INSERT INTO operator_sign_ins (hash, operator, expires_at) VALUES ($1, $2, $3)', [
      hashSecret(token),
      operator,
      now + ttlMs,
    ]);
    return token;
  }

  redeem(token: string, sessionTtlMs: number, now: number): Promise<string | undefined> {
    return this.db.tx(async (q) => {
      const [signIn] = await q<{ operator: string; expires_at: number }>(
        'DELETE FROM operator_sign_ins WHERE hash = $1 RETURNING operator, expires_at',
        [hashSecret(token)],
      );
      if (!signIn || now >= signIn.expires_at) return undefined;
      const id = newSecret();
      await q('INSERT INTO operator_sessions (hash, operator, csrf, expires_at) VALUES ($1, $2, $3, $4)', [
        hashSecret(id),
        signIn.operator,
        newSecret(),
        now + sessionTtlMs,
      ]);
      return id;
    });
  }

  async session(id: string, now: number): Promise<OperatorSession | undefined> {
    const [s] = await this.db.query<{ operator: string; csrf: string; expires_at: number }>(
      'SELECT operator, csrf, expires_at FROM operator_sessions WHERE hash = $1',
      [hashSecret(id)],
    );
    return s && now < s.expires_at
      ? { operator: s.operator, csrf: s.csrf, expiresAt: s.expires_at }
      : undefined;
  }

  async endSession(id: string): Promise<void> {
    await this.db.query('DELETE FROM operator_sessions WHERE hash = $1', [hashSecret(id)]);
  }

  async setValue(key: string, value: string): Promise<void> {
    await this.db.query(
      'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value',
      [key, value],
    );
  }

  async getValue(key: string): Promise<string | undefined> {
    const [r] = await this.db.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
    return r?.value;
  }

  async keepValue(key: string, value: string): Promise<string> {
    await this.db.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [
      key,
      value,
    ]);
    return (await this.getValue(key))!;
  }
}

/** Issued api keys: a key revoked through one instance fails on the next request to any (nothing is cached). */
export class PgApiKeys implements ApiKeyStore {
  constructor(private readonly db: Db) {}

  async create(r: ApiKeyRecord): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO api_keys (id, name, hash, prefix, scopes, tenant, created_at, expires_at, revoked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING id`,
      [
        r.id,
        r.name,
        r.hash,
        r.prefix,
        JSON.stringify(r.scopes),
        r.tenant,
        r.createdAt,
        r.expiresAt,
        r.revokedAt,
      ],
    );
    return rows.length === 1;
  }

  async byHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const [row] = await this.db.query<ApiKeyRow>('SELECT * FROM api_keys WHERE hash = $1', [hash]);
    return row && toApiKey(row);
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (await this.db.query<ApiKeyRow>('SELECT * FROM api_keys ORDER BY created_at DESC, seq DESC')).map(
      toApiKey,
    );
  }

  async revoke(idOrName: string, now: number): Promise<ApiKeyRecord | undefined> {
    const [row] = await this.db.query<ApiKeyRow>(
      `UPDATE api_keys SET revoked_at = $2 WHERE id = (
         SELECT id FROM api_keys WHERE (id = $1 OR name = $1) AND revoked_at IS NULL LIMIT 1
       ) AND revoked_at IS NULL RETURNING *`,
      [idOrName, now],
    );
    return row && toApiKey(row);
  }
}

const PRUNE_EVERY = 200;

interface StateRow {
  [k: string]: unknown;
  id: string;
  payload: string;
  expires_at: number | null;
  consumed_at: number | null;
}

function read(row: StateRow | undefined, now: number): Record<string, unknown> | undefined {
  if (!row || (row.expires_at !== null && row.expires_at <= now)) return undefined;
  const payload = JSON.parse(row.payload) as Record<string, unknown>;
  return row.consumed_at === null ? payload : { ...payload, consumed: row.consumed_at };
}

/** The embedded authorization server's state, shared: a login begun on one instance finishes on another. */
export class PgOAuthState implements OAuthStateStore {
  private writes = 0;

  constructor(private readonly db: Db) {}

  async upsert(
    model: string,
    id: string,
    payload: Record<string, unknown>,
    expiresAt: number | null,
    index: { grantId?: string; userCode?: string; uid?: string },
    now: number,
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO oauth_state (model, id, payload, expires_at, grant_id, user_code, uid, consumed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)
       ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, expires_at = EXCLUDED.expires_at,
         grant_id = EXCLUDED.grant_id, user_code = EXCLUDED.user_code, uid = EXCLUDED.uid`,
      [
        model,
        id,
        JSON.stringify(payload),
        expiresAt,
        index.grantId ?? null,
        index.userCode ?? null,
        index.uid ?? null,
      ],
    );
    // Every so often, drop what has expired (sessions and tokens would otherwise pile up).
    if (++this.writes % PRUNE_EVERY === 0)
      await this.db.query('DELETE FROM oauth_state WHERE expires_at IS NOT NULL AND expires_at <= $1', [now]);
  }

  async find(model: string, id: string, now: number) {
    const [row] = await this.db.query<StateRow>(
      'SELECT id, payload, expires_at, consumed_at FROM oauth_state WHERE model = $1 AND id = $2',
      [model, id],
    );
    return read(row, now);
  }

  async findBy(model: string, field: 'uid' | 'userCode', value: string, now: number) {
    const column = field === 'uid' ? 'uid' : 'user_code';
    const [row] = await this.db.query<StateRow>(
      `SELECT id, payload, expires_at, consumed_at FROM oauth_state WHERE model = $1 AND ${column} = $2`,
      [model, value],
    );
    return read(row, now);
  }

  async consume(model: string, id: string, now: number): Promise<void> {
    await this.db.query('UPDATE oauth_state SET consumed_at = $1 WHERE model = $2 AND id = $3', [
      Math.floor(now / 1000),
      model,
      id,
    ]);
  }

  async destroy(model: string, id: string): Promise<void> {
    await this.db.query('DELETE FROM oauth_state WHERE model = $1 AND id = $2', [model, id]);
  }

  async list(model: string, now: number, limit: number) {
    const rows = await this.db.query<StateRow>(
      'SELECT id, payload, expires_at, consumed_at FROM oauth_state WHERE model = $1 AND (expires_at IS NULL OR expires_at > $2) ORDER BY seq DESC LIMIT $3',
      [model, now, limit],
    );
    return rows.map((r) => ({ id: r.id, payload: JSON.parse(r.payload) as Record<string, unknown> }));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db.query('DELETE FROM oauth_state WHERE grant_id = $1', [grantId]);
  }
}
