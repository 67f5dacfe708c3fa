import type { OAuthStateStore } from '../ports.js';

interface Entry {
  payload: Record<string, unknown>;
  expiresAt: number | null;
  grantId?: string;
  userCode?: string;
  uid?: string;
  consumedAt?: number;
}

export class MemoryOAuthState implements OAuthStateStore {
  private readonly entries = new Map<string, Entry>();
  private readonly key = (model: string, id: string) => `${model}\n${id}`;

  upsert(
    model: string,
    id: string,
    payload: Record<string, unknown>,
    expiresAt: number | null,
    index: Omit<Entry, 'payload' | 'expiresAt'>,
    now: number,
  ) {
    for (const [k, e] of this.entries) if (e.expiresAt !== null && e.expiresAt <= now) this.entries.delete(k);
    this.entries.set(this.key(model, id), { payload: structuredClone(payload), expiresAt, ...index });
    return Promise.resolve();
  }

  find(model: string, id: string, now: number) {
    return Promise.resolve(read(this.entries.get(this.key(model, id)), now));
  }

  findBy(model: string, field: 'uid' | 'userCode', value: string, now: number) {
    for (const [k, e] of this.entries)
      if (k.startsWith(`${model}\n`) && e[field] === value) return Promise.resolve(read(e, now));
    return Promise.resolve(undefined);
  }

  consume(model: string, id: string, now: number) {
    const e = this.entries.get(this.key(model, id));
    if (e) e.consumedAt = Math.floor(now / 1000);
    return Promise.resolve();
  }

  destroy(model: string, id: string) {
    this.entries.delete(this.key(model, id));
    return Promise.resolve();
  }

  list(model: string, now: number, limit: number) {
    const out: { id: string; payload: Record<string, unknown> }[] = [];
    for (const [k, e] of [...this.entries].reverse()) {
      const payload = k.startsWith(`${model}\n`) ? read(e, now) : undefined;
      if (payload) out.push({ id: k.slice(model.length + 1), payload });
      if (out.length >= limit) break;
    }
    return Promise.resolve(out);
  }

  revokeByGrantId(grantId: string) {
    for (const [k, e] of this.entries) if (e.grantId === grantId) this.entries.delete(k);
    return Promise.resolve();
  }
}

function read(e: Entry | undefined, now: number): Record<string, unknown> | undefined {
  if (!e || (e.expiresAt !== null && e.expiresAt <= now)) return undefined;
  const payload = structuredClone(e.payload);
  return e.consumedAt === undefined ? payload : { ...payload, consumed: e.consumedAt };
}
