import type { BillingStore, BillingSubscription, MeterRow, QuotaKey, UsageRecord } from '../ports.js';

const k = (...parts: string[]) => parts.join('\u0000');
const quota = (q: QuotaKey) => k(q.mode, q.user, q.window);

/** Billing state in memory (tests, the sandbox). Every method is one synchronous step: atomic in-process. */
export class MemoryBilling implements BillingStore {
  private readonly customers = new Map<string, string>();
  private readonly users = new Map<string, string>();
  private readonly subs = new Map<string, BillingSubscription>();
  private readonly quotas = new Map<string, number>();
  private readonly usage: UsageRecord[] = [];
  private readonly outbox = new Map<string, MeterRow & { due: number; sent: boolean }>();

  customerOf(mode: string, user: string) {
    return Promise.resolve(this.customers.get(k(mode, user)));
  }
  linkCustomer(mode: string, user: string, customer: string) {
    const have = this.customers.get(k(mode, user));
    if (have) return Promise.resolve(have);
    this.customers.set(k(mode, user), customer);
    this.users.set(k(mode, customer), user);
    return Promise.resolve(customer);
  }
  userOfCustomer(mode: string, customer: string) {
    return Promise.resolve(this.users.get(k(mode, customer)));
  }
  putSubscription(sub: BillingSubscription) {
    const have = this.subs.get(k(sub.mode, sub.id));
    if (have && have.asOf > sub.asOf) return Promise.resolve(false);
    this.subs.set(k(sub.mode, sub.id), { ...sub });
    return Promise.resolve(true);
  }
  subscription(mode: string, id: string) {
    const s = this.subs.get(k(mode, id));
    return Promise.resolve(s ? { ...s } : undefined);
  }
  subscriptionsOf(mode: string, user: string) {
    return Promise.resolve(
      [...this.subs.values()].filter((s) => s.mode === mode && s.user === user).map((s) => ({ ...s })),
    );
  }
  forgetCustomer(mode: string, customer: string) {
    const user = this.users.get(k(mode, customer));
    if (user) this.customers.delete(k(mode, user));
    this.users.delete(k(mode, customer));
    for (const [key, s] of this.subs) if (s.mode === mode && s.customer === customer) this.subs.delete(key);
    return Promise.resolve();
  }
  reserve(key: QuotaKey, units: number, limit: number | undefined) {
    const used = this.quotas.get(quota(key)) ?? 0;
    if (limit !== undefined && used + units > limit) return Promise.resolve({ ok: false, used });
    this.quotas.set(quota(key), used + units);
    return Promise.resolve({ ok: true, used: used + units });
  }
  release(key: QuotaKey, units: number) {
    this.quotas.set(quota(key), Math.max(0, (this.quotas.get(quota(key)) ?? 0) - units));
    return Promise.resolve();
  }
  used(key: QuotaKey) {
    return Promise.resolve(this.quotas.get(quota(key)) ?? 0);
  }
  recordUsage(u: UsageRecord) {
    this.usage.push({ ...u });
    if (this.usage.length > 100_000) this.usage.shift();
    return Promise.resolve();
  }
  usageOf(mode: string, user: string, limit: number) {
    return Promise.resolve(
      this.usage
        .filter((u) => u.mode === mode && u.user === user)
        .slice(-limit)
        .reverse()
        .map((u) => ({ ...u })),
    );
  }
  enqueueMeter(row: Omit<MeterRow, 'attempts'>) {
    if (!this.outbox.has(row.id)) this.outbox.set(row.id, { ...row, attempts: 0, due: 0, sent: false });
    return Promise.resolve();
  }
  claimMeters(mode: string, limit: number, now: number, leaseS: number) {
    const out: MeterRow[] = [];
    for (const r of this.outbox.values()) {
      if (out.length >= limit) break;
      if (r.sent || r.due > now || r.mode !== mode) continue;
      r.due = now + leaseS;
      r.attempts++;
      const { due: _d, sent: _s, ...row } = r;
      out.push({ ...row });
    }
    return Promise.resolve(out);
  }
  meterSent(id: string) {
    const r = this.outbox.get(id);
    if (r) r.sent = true;
    return Promise.resolve();
  }
  meterFailed(id: string, retryAt: number) {
    const r = this.outbox.get(id);
    if (r) r.due = retryAt;
    return Promise.resolve();
  }
  meterBacklog() {
    return Promise.resolve([...this.outbox.values()].filter((r) => !r.sent).length);
  }
}
