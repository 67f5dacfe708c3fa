// The billing engine: who is entitled to what (from the local copy webhooks keep in sync, never a
// Stripe call on the call path), the paywall and quotas the runner asks before a tool runs, the links
// that start a Checkout or open the Customer Portal, and the status the paying user's tools show.
import type Stripe from 'stripe';
import type { Caller } from '../auth/caller.js';
import type { Logger } from '../log.js';
import {
  paymentRequired,
  quotaExceeded,
  type BillingView,
  type OfferedPlan,
  type PaidCall,
  type Paywall,
} from '../policy/paywall.js';
import type { Refusal } from '../policy/refusal.js';
import type { BillingStore, BillingSubscription, OperatorAuth, QuotaKey } from '../storage/ports.js';
import type { LazyStripeClient } from '../stripe/client.js';
import { BillingLinks } from './links.js';
import { MeterDrain } from './metering.js';
import { priceText, type NamedPlan, type Plans } from './plans.js';
import { BillingProjector } from './projector.js';
import { MANAGED, overageKeyOf } from './sync.js';

/** The paying user's own tools: they never count against a quota and are never paywalled. */
export const BILLING_TOOLS: ReadonlySet<string> = new Set([
  'billing_status',
  'upgrade_plan',
  'manage_billing',
]);

type QuotaName = 'calls_per_day' | 'calls_per_month';
/** Subscription statuses that no longer entitle but are not over: paying brings the plan back. */
const LAPSED: ReadonlySet<string> = new Set(['past_due', 'unpaid', 'incomplete']);

export interface BillingOptions {
  plans: Plans;
  store: BillingStore;
  /** Where the link-signing key is kept. */
  settings: Pick<OperatorAuth, 'keepValue'>;
  stripe: LazyStripeClient;
  mode: string;
  /** Who pays when the caller is local (stdio): `--billing-user`. */
  localUser?: string;
  logger: Logger;
  now?: () => number;
}

/** What `billing_status` shows. */
export interface BillingStatus {
  [k: string]: unknown;
  user: string;
  plan: string | null;
  plan_label: string | null;
  status: string;
  /** What to do about a lapsed subscription. */
  note?: string;
  renews_at: string | null;
  trial_ends_at: string | null;
  cancel_at_period_end: boolean;
  quotas: { quota: QuotaName; used: number; limit: number; resets_at: string }[];
}

export class BillingEngine implements Paywall, BillingView {
  private links?: BillingLinks;
  private portalConfig?: Promise<string | undefined>;
  private origin?: string;
  private readonly now: () => number;
  /** Webhooks → the local copy of subscriptions (the runtime feeds it every stored event). */
  readonly projector: BillingProjector;
  /** Overage usage → Stripe's Billing Meters, in the background (the runtime starts and stops it). */
  readonly metering: MeterDrain;

  constructor(readonly opts: BillingOptions) {
    this.now = opts.now ?? Date.now;
    this.projector = new BillingProjector(opts);
    this.metering = new MeterDrain(opts);
  }

  get plans(): Plans {
    return this.opts.plans;
  }

  /** Where links point: this server's public origin, known once the HTTP server listens. */
  async bind(origin: string): Promise<void> {
    this.origin = origin;
    this.links = await BillingLinks.open(this.opts.settings, origin, this.now);
  }

  linkMaker(): BillingLinks {
    if (!this.links) throw new Error('billing links need an HTTP server (its public URL): none is listening');
    return this.links;
  }

  get publicOrigin(): string | undefined {
    return this.origin;
  }

  userOf(caller: Caller): string {
    return caller.kind === 'local' && this.opts.localUser ? this.opts.localUser : caller.id;
  }

  /** The entitled subscription with the best plan, else the free plan (if any). */
  async entitlement(user: string): Promise<{ plan?: NamedPlan; subscription?: BillingSubscription }> {
    const subs = await this.opts.store.subscriptionsOf(this.opts.mode, user);
    const entitled = subs
      .filter((s) => this.entitles(s))
      .map((s) => ({ s, plan: s.plan ? this.plans.byKey.get(s.plan) : undefined }))
      .filter((x): x is { s: BillingSubscription; plan: NamedPlan } => x.plan !== undefined)
      .sort((a, b) => (b.plan.price?.amount ?? 0) - (a.plan.price?.amount ?? 0));
    const best = entitled[0];
    if (best) return { plan: best.plan, subscription: best.s };
    const lapsed = subs.sort((a, b) => b.asOf - a.asOf)[0];
    return {
      ...(this.plans.free ? { plan: this.plans.free } : {}),
      ...(lapsed ? { subscription: lapsed } : {}),
    };
  }

  /** `entitled_statuses` count; past_due and unpaid keep access through `grace_period_days` after the period. */
  private entitles(s: BillingSubscription): boolean {
    const file = this.plans.file;
    if ((file.entitled_statuses as string[]).includes(s.status)) return true;
    const grace = file.grace_period_days * 86_400;
    return (
      grace > 0 &&
      (s.status === 'past_due' || s.status === 'unpaid') &&
      s.currentPeriodEnd !== null &&
      this.now() / 1000 < s.currentPeriodEnd + grace
    );
  }

  async admit(tool: string, caller: Caller, callId: string): Promise<Refusal | PaidCall | undefined> {
    if (BILLING_TOOLS.has(tool)) return undefined;
    const rule = this.plans.ruleFor(tool);
    if (!rule) return undefined;
    const user = this.userOf(caller);
    const { plan } = await this.entitlement(user);
    if (!plan || !rule.plans.some((p) => p.key === plan.key)) {
      const needed = this.plans.cheapest(rule.plans) ?? rule.plans[0]!;
      return paymentRequired({
        tool,
        ...(plan ? { current: offered(plan) } : {}),
        needed: offered(needed),
        url: await this.upgradeUrl(user, needed),
      });
    }

    const taken: { key: QuotaKey; units: number }[] = [];
    let overage = 0;
    const now = this.now();
    for (const [quota, limit] of Object.entries(plan.quotas ?? {}) as [QuotaName, number][]) {
      const key = { mode: this.opts.mode, user, window: windowOf(quota, now) };
      const r = await this.opts.store.reserve(key, rule.units, limit);
      if (r.ok) {
        taken.push({ key, units: rule.units });
        continue;
      }
      if (plan.overage) {
        // Past the quota on a plan with overage: the call runs and its units are billed by the meter.
        await this.opts.store.reserve(key, rule.units, undefined);
        taken.push({ key, units: rule.units });
        overage = rule.units;
        continue;
      }
      for (const t of taken) await this.opts.store.release(t.key, t.units);
      const bigger = this.biggerPlan(rule.plans, plan, quota);
      return quotaExceeded({
        tool,
        plan: offered(plan),
        quota,
        used: r.used,
        limit,
        resetsAt: resetOf(quota, now),
        ...(bigger ? { upgrade: { plan: offered(bigger), url: await this.upgradeUrl(user, bigger) } } : {}),
      });
    }

    let settled = false;
    return {
      settle: async (outcome) => {
        if (settled) return;
        settled = true;
        const store = this.opts.store;
        const giveBack =
          outcome === 'not_run' || (outcome === 'error' && this.plans.file.refund_failed_calls);
        if (giveBack) for (const t of taken) await store.release(t.key, t.units);
        if (outcome === 'not_run') return;
        await store.recordUsage({
          id: callId,
          mode: this.opts.mode,
          user,
          tool,
          units: rule.units,
          at: this.now(),
          outcome,
        });
        if (outcome === 'ok' && overage > 0 && plan.overage) {
          const customer = await store.customerOf(this.opts.mode, user);
          if (customer)
            await store.enqueueMeter({
              id: callId,
              mode: this.opts.mode,
              customer,
              event: plan.overage.meter,
              value: overage,
              at: Math.floor(this.now() / 1000),
            });
          this.metering.kick();
        }
      },
    };
  }

  /** The cheapest plan the tool allows that is not the current one and gives more of this quota. */
  private biggerPlan(allowed: NamedPlan[], current: NamedPlan, quota: QuotaName): NamedPlan | undefined {
    const have = current.quotas?.[quota] ?? Infinity;
    const more = allowed.filter(
      (p) => p.price && p.key !== current.key && (p.quotas?.[quota] ?? Infinity) > have,
    );
    return this.plans.cheapest(more);
  }

  upgradeUrl(user: string, plan: NamedPlan): Promise<string> {
    return this.linkMaker().url({ user, action: 'upgrade', plan: plan.key, mode: this.opts.mode });
  }

  portalUrl(user: string): Promise<string> {
    return this.linkMaker().url({ user, action: 'portal', mode: this.opts.mode });
  }

  async status(caller: Caller): Promise<BillingStatus & Record<string, unknown>> {
    const user = this.userOf(caller);
    const { plan, subscription: s } = await this.entitlement(user);
    const now = this.now();
    const iso = (t: number | null | undefined) => (t ? new Date(t * 1000).toISOString() : null);
    const quotas = [];
    for (const [quota, limit] of Object.entries(plan?.quotas ?? {}) as [QuotaName, number][])
      quotas.push({
        quota,
        used: await this.opts.store.used({ mode: this.opts.mode, user, window: windowOf(quota, now) }),
        limit,
        resets_at: resetOf(quota, now),
      });
    const current = s && plan && s.plan === plan.key;
    // A subscription that lapsed but can come back (a failed payment) is shown, with what to do.
    const lapsed = !current && s && LAPSED.has(s.status) ? s : undefined;
    const lapsedPlan = lapsed?.plan ? this.plans.byKey.get(lapsed.plan) : undefined;
    return {
      user,
      plan: plan?.key ?? null,
      plan_label: plan?.label ?? null,
      status: current ? s.status : lapsed ? lapsed.status : plan ? 'free' : (s?.status ?? 'none'),
      ...(lapsed
        ? {
            note: `The last payment for the ${lapsedPlan?.label ?? 'paid'} plan failed, so its tools are paused. Update the card with manage_billing; the plan comes back as soon as it is paid.`,
          }
        : {}),
      renews_at: current && !s.cancelAtPeriodEnd ? iso(s.currentPeriodEnd) : null,
      trial_ends_at: current && s.status === 'trialing' ? iso(s.trialEnd) : null,
      cancel_at_period_end: current ? s.cancelAtPeriodEnd : false,
      quotas,
    };
  }

  offers(): (OfferedPlan & { quotas: Record<string, number> })[] {
    return [...this.plans.byKey.values()]
      .sort((a, b) => (a.price?.amount ?? 0) - (b.price?.amount ?? 0))
      .map((p) => ({ ...offered(p), quotas: { ...(p.quotas ?? {}) } }));
  }

  async upgrade(
    caller: Caller,
    planKey?: string,
  ): Promise<{ plan: OfferedPlan; url: string } | { error: string }> {
    const user = this.userOf(caller);
    const { plan: current } = await this.entitlement(user);
    const names = [...this.plans.byKey.keys()].join(', ');
    let target: NamedPlan | undefined;
    if (planKey !== undefined) {
      target = this.plans.byKey.get(planKey);
      if (!target) return { error: `There is no plan "${planKey}" (plans: ${names}).` };
      if (!target.price) return { error: `${target.label} is free: there is nothing to buy.` };
      if (current?.key === target.key)
        return { error: `You are on ${target.label} already; manage_billing opens the portal to change it.` };
    } else {
      const have = current?.price?.amount ?? 0;
      target = this.plans.cheapest(this.plans.paid.filter((p) => p.price!.amount > have));
      if (!target) return { error: `You are on the highest plan (${current?.label ?? 'none'}).` };
    }
    return { plan: offered(target), url: await this.upgradeUrl(user, target) };
  }

  async manage(caller: Caller): Promise<{ url: string } | { error: string }> {
    const user = this.userOf(caller);
    if (!(await this.opts.store.customerOf(this.opts.mode, user)))
      return {
        error:
          'You have no subscription yet, so there is nothing to manage: upgrade_plan gives a link to subscribe.',
      };
    return { url: await this.portalUrl(user) };
  }

  /**
   * Following an upgrade link: a Checkout Session for the plan (the customer made on first checkout,
   * with `metadata.user_id`), or, for a current subscriber, the Portal's confirm-the-switch page.
   */
  async checkout(user: string, planKey: string, linkId: string): Promise<string> {
    const plan = this.plans.byKey.get(planKey);
    if (!plan?.price) throw new BillingPageError(`There is no paid plan "${planKey}".`);
    const stripe = await this.opts.stripe();
    const { subscription } = await this.entitlement(user);
    const prices = await this.pricesOf(stripe, plan);
    if (subscription && this.entitles(subscription)) {
      if (subscription.plan === plan.key) return this.portal(user);
      const live = await stripe.subscriptions.retrieve(subscription.id);
      const item = live.items.data[0];
      if (item) {
        const configuration = await this.portalConfiguration(stripe);
        const session = await stripe.billingPortal.sessions.create({
          customer: subscription.customer,
          return_url: `${this.origin}/billing/return`,
          ...(configuration ? { configuration } : {}),
          flow_data: {
            type: 'subscription_update_confirm',
            subscription_update_confirm: {
              subscription: subscription.id,
              items: [{ id: item.id, price: prices.base, quantity: 1 }],
            },
          },
        });
        return session.url;
      }
    }
    const customer = await this.customerFor(stripe, user);
    const session = await stripe.checkout.sessions.create(
      {
        mode: 'subscription',
        customer,
        client_reference_id: user,
        line_items: [
          { price: prices.base, quantity: 1 },
          ...(prices.overage ? [{ price: prices.overage }] : []),
        ],
        subscription_data: {
          metadata: { user_id: user, plan: plan.key },
          ...(plan.trial_days ? { trial_period_days: plan.trial_days } : {}),
        },
        metadata: { user_id: user, plan: plan.key },
        success_url: `${this.origin}/billing/success?session_id={CHECKOUT_SESSION_ID}`,
        cancel_url: `${this.origin}/billing/cancel`,
      },
      // A reused link opens the same session: it cannot start a second subscription.
      { idempotencyKey: `mcp-stripe-checkout-${linkId}` },
    );
    return session.url!;
  }

  /** Back from Checkout: the session's subscription, read from Stripe and stored now. */
  async confirmCheckout(sessionId: string): Promise<void> {
    const stripe = await this.opts.stripe();
    const session = await stripe.checkout.sessions.retrieve(sessionId);
    const user = session.client_reference_id;
    const customer = typeof session.customer === 'string' ? session.customer : session.customer?.id;
    const sub = typeof session.subscription === 'string' ? session.subscription : session.subscription?.id;
    if (!user || !customer || !sub || session.status !== 'complete') return;
    await this.opts.store.linkCustomer(this.opts.mode, user, customer);
    await this.projector.refresh(sub, user);
  }

  /** The Customer Portal for this user's customer. */
  async portal(user: string): Promise<string> {
    const customer = await this.opts.store.customerOf(this.opts.mode, user);
    if (!customer)
      throw new BillingPageError(
        'You have no subscription yet: there is nothing to manage. Ask for an upgrade link.',
      );
    const stripe = await this.opts.stripe();
    const configuration = await this.portalConfiguration(stripe);
    const session = await stripe.billingPortal.sessions.create({
      customer,
      return_url: `${this.origin}/billing/return`,
      ...(configuration ? { configuration } : {}),
    });
    return session.url;
  }

  private async customerFor(stripe: Stripe, user: string): Promise<string> {
    const mode = this.opts.mode;
    const known = await this.opts.store.customerOf(mode, user);
    if (known) return known;
    const existing = await this.customerTagged(stripe, user);
    if (existing) return this.opts.store.linkCustomer(mode, user, existing);
    const created = await stripe.customers.create(
      { metadata: { user_id: user }, description: `mcp-stripe billing user ${user}` },
      { idempotencyKey: `mcp-stripe-customer-${mode}-${user}` },
    );
    return this.opts.store.linkCustomer(mode, user, created.id);
  }

  /**
   * A customer already tagged `metadata.user_id` for this user (a previous deployment's, or one the
   * operator made, say on a test clock): reused rather than duplicated. Only ever on the first checkout,
   * never on the call path; and by the id billing keys on, never by email.
   */
  private async customerTagged(stripe: Stripe, user: string): Promise<string | undefined> {
    if (!/^[\w.@:|-]+$/.test(user)) return undefined; // nothing a search query would need to escape
    const found = await stripe.customers.search({ query: `metadata['user_id']:'${user}'`, limit: 10 });
    return found.data.filter((c) => c.metadata.user_id === user).sort((a, b) => a.created - b.created)[0]?.id;
  }

  /** The portal configuration `billing sync` made (its plans to switch between), looked up once. */
  private async portalConfiguration(stripe: Stripe): Promise<string | undefined> {
    this.portalConfig ??= stripe.billingPortal.configurations
      .list({ active: true, limit: 100 })
      .then((all) => all.data.find((c) => c.metadata?.[MANAGED] === this.plans.file.product)?.id)
      .catch((err: unknown) => {
        this.portalConfig = undefined;
        throw err;
      });
    return this.portalConfig;
  }

  private async pricesOf(stripe: Stripe, plan: NamedPlan): Promise<{ base: string; overage?: string }> {
    const keys = [plan.lookupKey, ...(plan.overage ? [overageKeyOf(plan)] : [])];
    const found = await stripe.prices.list({ lookup_keys: keys, active: true, limit: 10 });
    const base = found.data.find((p) => p.lookup_key === plan.lookupKey);
    if (!base)
      throw new BillingPageError(
        `The ${plan.label} plan is not set up at Stripe yet (no price with lookup key ${plan.lookupKey}). The operator runs: mcp-stripe billing sync --plans=…`,
      );
    const overage = found.data.find((p) => p.lookup_key === overageKeyOf(plan));
    return { base: base.id, ...(overage ? { overage: overage.id } : {}) };
  }
}

/** A billing page's refusal, shown to the person who followed the link. */
export class BillingPageError extends Error {}

function offered(plan: NamedPlan): OfferedPlan {
  return {
    key: plan.key,
    label: plan.label,
    price: priceText(plan),
    ...(plan.trial_days ? { trialDays: plan.trial_days } : {}),
  };
}

/** Quota windows are calendar days and months in UTC. */
export function windowOf(quota: QuotaName, now: number): string {
  const iso = new Date(now).toISOString();
  return quota === 'calls_per_day' ? `day:${iso.slice(0, 10)}` : `month:${iso.slice(0, 7)}`;
}

function resetOf(quota: QuotaName, now: number): string {
  const d = new Date(now);
  const next =
    quota === 'calls_per_day'
      ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)
      : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return new Date(next).toISOString();
}
