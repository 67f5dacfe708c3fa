import { randomUUID } from 'node:crypto';
import { DEFAULT_RETAIN, trimArray } from '../../util/bounded.js';
import { newer, typeMatcher } from '../glob.js';
import type {
  AuditRecord,
  EventLog,
  EventQuery,
  LedgerReservation,
  LedgerState,
  LedgerUsage,
  MoneyLedger,
  ObjectState,
  ReserveOutcome,
  Store,
  StoredEvent,
} from '../ports.js';
import { MemoryApiKeys } from './api-keys.js';
import { MemoryApprovals, MemoryOperators } from './approvals.js';
import { MemoryBilling } from './billing.js';
import { MemoryOAuthState } from './oauth-state.js';

interface Row {
  id: string;
  scope: string;
  currency: string;
  amount: number;
  tool: string;
  objectId?: string;
  key?: string;
  state: LedgerState;
  at: number;
}

class MemoryLedger implements MoneyLedger {
  private rows: Row[] = [];

  reserve(r: LedgerReservation): Promise<ReserveOutcome> {
    // Entries past every window count for nothing: forget them, so the ledger stays bounded.
    this.rows = this.rows.filter((x) => x.at > r.now - 2 * r.windowMs);
    const inWindow = (x: Row) => x.scope === r.scope && x.at > r.now - r.windowMs;
    const used = this.sum((x) => x.scope === r.scope && x.currency === r.currency, r.now, r.windowMs);
    const earlier = r.key ? this.rows.find((x) => inWindow(x) && x.key === r.key) : undefined;
    if (earlier) return Promise.resolve({ ok: true, id: earlier.id, used, amount: 0, repeat: true });
    const counted = r.objectId
      ? this.sum((x) => x.scope === r.scope && x.objectId === r.objectId, r.now, r.windowMs)
      : 0;
    const amount = Math.max(0, r.amount - counted);
    if (used + amount > r.limit) return Promise.resolve({ ok: false, used, amount });
    const id = randomUUID();
    this.rows.push({
      id,
      scope: r.scope,
      currency: r.currency,
      amount,
      tool: r.tool,
      objectId: r.objectId,
      key: r.key,
      state: 'reserved',
      at: r.now,
    });
    return Promise.resolve({ ok: true, id, used, amount, repeat: false });
  }

  settle(
    id: string,
    final: { state: 'settled' | 'unknown'; amount?: number; objectId?: string },
  ): Promise<void> {
    const row = this.rows.find((x) => x.id === id);
    if (row) {
      row.state = final.state;
      row.amount = final.amount ?? row.amount;
      row.objectId = row.objectId ?? final.objectId;
    }
    return Promise.resolve();
  }

  release(id: string): Promise<void> {
    this.rows = this.rows.filter((x) => x.id !== id);
    return Promise.resolve();
  }

  totals(scope: string, now: number, windowMs: number): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const r of this.rows)
      if (r.scope === scope && r.at > now - windowMs) out[r.currency] = (out[r.currency] ?? 0) + r.amount;
    return Promise.resolve(out);
  }

  usage(now: number, windowMs: number): Promise<LedgerUsage[]> {
    const sums = new Map<string, LedgerUsage>();
    for (const r of this.rows) {
      if (r.at <= now - windowMs) continue;
      const key = `${r.scope}\0${r.currency}`;
      const u = sums.get(key) ?? { scope: r.scope, currency: r.currency, amount: 0 };
      u.amount += r.amount;
      sums.set(key, u);
    }
    return Promise.resolve([...sums.values()]);
  }

  used(scope: string, currency: string, now: number, windowMs: number): Promise<number> {
    return Promise.resolve(this.sum((x) => x.scope === scope && x.currency === currency, now, windowMs));
  }

  private sum(match: (r: Row) => boolean, now: number, windowMs: number): number {
    return this.rows.filter((r) => match(r) && r.at > now - windowMs).reduce((s, r) => s + r.amount, 0);
  }
}

/** Listing order: newest created first, then by id (as the SQLite adapter sorts). */
const listedBefore = (a: StoredEvent, b: StoredEvent) =>
  a.created > b.created || (a.created === b.created && a.id > b.id);

export class MemoryEventLog implements EventLog {
  private readonly events = new Map<string, StoredEvent>();
  private readonly states = new Map<string, ObjectState>();

  /** Past `retain` events the oldest are forgotten (a redelivery of one that old is stored again). */
  constructor(private readonly retain = DEFAULT_RETAIN) {}

  append(event: StoredEvent): Promise<'stored' | 'duplicate'> {
    if (this.events.has(event.id)) return Promise.resolve('duplicate');
    const { payloadText: _text, ...rest } = event;
    this.events.set(event.id, structuredClone(rest));
    this.forgetOldest();
    const object = (event.payload.data as { object?: Record<string, unknown> } | undefined)?.object;
    if (event.objectId && object) {
      const current = this.states.get(event.objectId);
      const currentType = current ? this.events.get(current.eventId)!.type : '';
      if (!current || newer(event, { created: current.created, type: currentType, id: current.eventId })) {
        this.states.set(event.objectId, {
          objectId: event.objectId,
          objectType: event.objectType,
          state: structuredClone(object),
          eventId: event.id,
          created: event.created,
        });
      }
    }
    return Promise.resolve('stored');
  }

  get(id: string): Promise<StoredEvent | undefined> {
    const e = this.events.get(id);
    return Promise.resolve(e && structuredClone(e));
  }

  list(q: EventQuery): Promise<{ events: StoredEvent[]; hasMore: boolean }> {
    const match = typeMatcher(q.type);
    let all = [...this.events.values()]
      .filter((e) => match(e.type) && (!q.objectId || e.objectId === q.objectId))
      .filter(
        (e) =>
          (q.since === undefined || e.created >= q.since) &&
          (q.receivedAfter === undefined || e.receivedAt > q.receivedAfter),
      )
      .sort((a, b) => (listedBefore(a, b) ? -1 : 1));
    if (q.startingAfter) {
      const cursor = this.events.get(q.startingAfter);
      all = cursor ? all.filter((e) => listedBefore(cursor, e)) : [];
    }
    return Promise.resolve({ events: structuredClone(all.slice(0, q.limit)), hasMore: all.length > q.limit });
  }

  /** Past `retain`, the oldest events go, except those an object's latest state comes from. */
  private forgetOldest(): void {
    if (this.events.size <= this.retain) return;
    const current = new Set([...this.states.values()].map((st) => st.eventId));
    let drop = this.events.size - Math.floor(this.retain * 0.9);
    for (const id of this.events.keys()) {
      if (drop <= 0) break;
      if (current.has(id)) continue;
      this.events.delete(id);
      drop--;
    }
  }

  objectState(objectId: string): Promise<ObjectState | undefined> {
    const s = this.states.get(objectId);
    return Promise.resolve(s && structuredClone(s));
  }

  count(): Promise<number> {
    return Promise.resolve(this.events.size);
  }
}

/** `retain`: how many audit records and events to keep (the oldest go first), so a long run stays bounded. */
export function createMemoryStore({ retain = DEFAULT_RETAIN }: { retain?: number } = {}): Store {
  const records: AuditRecord[] = [];
  return {
    ledger: new MemoryLedger(),
    billing: new MemoryBilling(),
    events: new MemoryEventLog(retain),
    approvals: new MemoryApprovals(retain),
    apiKeys: new MemoryApiKeys(),
    oauth: new MemoryOAuthState(),
    operators: new MemoryOperators(),
    audit: {
      append: (r) => {
        trimArray(records, retain);
        records.push(structuredClone(r));
        return Promise.resolve();
      },
      query: ({ since, until, tool, outcome, caller, tenant, limit }) => {
        const from = since?.toISOString() ?? '';
        const to = until?.toISOString();
        const out = records.filter(
          (r) =>
            r.at >= from &&
            (to === undefined || r.at < to) &&
            (tool === undefined || r.tool === tool) &&
            (outcome === undefined || r.outcome === outcome) &&
            (caller === undefined || r.caller === caller) &&
            (tenant === undefined || r.tenant === tenant),
        );
        return Promise.resolve(structuredClone(limit ? out.slice(-limit) : out));
      },
    },
    close: () => Promise.resolve(),
  };
}
