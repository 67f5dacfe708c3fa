import { randomUUID } from 'node:crypto';
import type { AuditRecord, LedgerReservation, MoneyLedger, ReserveOutcome, Store } from '../ports.js';

interface Row {
  id: string;
  scope: string;
  currency: string;
  amount: number;
  tool: string;
  objectId?: string;
  at: number;
}

class MemoryLedger implements MoneyLedger {
  private rows: Row[] = [];

  reserve(r: LedgerReservation): Promise<ReserveOutcome> {
    const used = this.sum((x) => x.scope === r.scope && x.currency === r.currency, r.now, r.windowMs);
    if (used + r.amount > r.limit) return Promise.resolve({ ok: false, used });
    const id = randomUUID();
    this.rows.push({
      id,
      scope: r.scope,
      currency: r.currency,
      amount: r.amount,
      tool: r.tool,
      objectId: r.objectId,
      at: r.now,
    });
    return Promise.resolve({ ok: true, id, used });
  }

  settle(id: string, final: { amount: number; objectId?: string }): Promise<void> {
    const row = this.rows.find((x) => x.id === id);
    if (row) {
      row.amount = final.amount;
      row.objectId = final.objectId ?? row.objectId;
    }
    return Promise.resolve();
  }

  release(id: string): Promise<void> {
    this.rows = this.rows.filter((x) => x.id !== id);
    return Promise.resolve();
  }

  used(scope: string, currency: string, now: number, windowMs: number): Promise<number> {
    return Promise.resolve(this.sum((x) => x.scope === scope && x.currency === currency, now, windowMs));
  }

  countedFor(scope: string, objectId: string, now: number, windowMs: number): Promise<number> {
    return Promise.resolve(this.sum((x) => x.scope === scope && x.objectId === objectId, now, windowMs));
  }

  private sum(match: (r: Row) => boolean, now: number, windowMs: number): number {
    return this.rows
      .filter((r) => match(r) && r.at > now - windowMs && r.at <= now)
      .reduce((s, r) => s + r.amount, 0);
  }
}

export function createMemoryStore(): Store {
  const records: AuditRecord[] = [];
  return {
    ledger: new MemoryLedger(),
    audit: {
      append: (r) => {
        records.push(structuredClone(r));
        return Promise.resolve();
      },
      query: ({ since, limit }) => {
        const from = since?.toISOString() ?? '';
        const out = records.filter((r) => r.at >= from);
        return Promise.resolve(structuredClone(limit ? out.slice(-limit) : out));
      },
    },
    close: () => Promise.resolve(),
  };
}
