// Webhooks → the local copy of who has paid. Events arrive twice and in any order: the event log
// stores each once (only first deliveries reach here), the store keeps the newest state per
// subscription, and an event no newer than what is stored (or one without the object) is answered by
// fetching the subscription from Stripe. Unknown types are ignored (the receiver has said 200 already).
import type Stripe from 'stripe';
import type { Logger } from '../log.js';
import type { BillingStore, StoredEvent } from '../storage/ports.js';
import type { LazyStripeClient } from '../stripe/client.js';
import type { Plans } from './plans.js';

const SUBSCRIPTION_EVENTS = new Set([
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.resumed',
  'customer.subscription.trial_will_end',
]);

export interface ProjectorDeps {
  plans: Plans;
  store: BillingStore;
  stripe: LazyStripeClient;
  mode: string;
  logger: Logger;
  now?: () => number;
}

export class BillingProjector {
  constructor(private readonly deps: ProjectorDeps) {}

  /** One stored event; failures are logged (`mcp-stripe billing reconcile` repairs what was missed). */
  async apply(event: StoredEvent): Promise<void> {
    try {
      await this.project(event);
    } catch (error) {
      this.deps.logger.error('billing projection failed', { event: event.id, type: event.type, error });
    }
  }

  private async project(event: StoredEvent): Promise<void> {
    const object = (event.payload.data as { object?: Record<string, unknown> } | undefined)?.object;
    const { store, mode } = this.deps;
    if (event.type === 'checkout.session.completed') {
      const session = object as Partial<Stripe.Checkout.Session> | undefined;
      const user = session?.client_reference_id ?? session?.metadata?.user_id;
      const customer = idOf(session?.customer);
      if (!user || !customer || session?.mode !== 'subscription') return;
      await store.linkCustomer(mode, user, customer);
      const sub = idOf(session.subscription);
      if (sub) await this.refresh(sub, user);
      return;
    }
    if (SUBSCRIPTION_EVENTS.has(event.type)) {
      const sub = object as Stripe.Subscription | undefined;
      if (!sub?.id) return;
      const stored = await store.subscription(mode, sub.id);
      // Several events in one second, or an old one delivered late: ask Stripe for the truth.
      if (!sub.items || (stored && event.created <= stored.asOf)) return this.refresh(sub.id);
      await this.put(sub, event.created);
      return;
    }
    if (event.type === 'invoice.paid' || event.type === 'invoice.payment_failed') {
      const invoice = object;
      const sub =
        idOf(invoice?.subscription) ??
        idOf(
          (invoice?.parent as { subscription_details?: { subscription?: unknown } } | undefined)
            ?.subscription_details?.subscription,
        );
      if (sub) await this.refresh(sub);
      return;
    }
    if (event.type === 'entitlements.active_entitlement_summary.updated') {
      // What the customer may use changed at Stripe: read their subscriptions, which decide the plan.
      const customer = idOf((object as { customer?: unknown } | undefined)?.customer);
      if (customer && (await store.userOfCustomer(mode, customer))) await this.refreshCustomer(customer);
      return;
    }
    if (event.type === 'customer.deleted') {
      const id = idOf(object);
      if (id) await store.forgetCustomer(mode, id);
    }
  }

  /**
   * `mcp-stripe billing reconcile`: every subscription at Stripe, stored as of now (after downtime, or
   * a misconfigured endpoint). Those of no known user are skipped.
   */
  async reconcile(
    onProgress?: (read: number) => void,
  ): Promise<{ read: number; stored: number; skipped: number }> {
    const stripe = await this.deps.stripe();
    const asOf = Math.floor((this.deps.now ?? Date.now)() / 1000);
    let read = 0;
    let stored = 0;
    for await (const sub of stripe.subscriptions.list({ status: 'all', limit: 100 })) {
      read++;
      if (await this.put(sub, asOf)) stored++;
      if (read % 100 === 0) onProgress?.(read);
    }
    return { read, stored, skipped: read - stored };
  }

  /** The subscription as Stripe has it now, stored as of now. */
  async refresh(id: string, user?: string): Promise<void> {
    const stripe = await this.deps.stripe();
    const sub = await stripe.subscriptions.retrieve(id);
    await this.put(sub, Math.floor((this.deps.now ?? Date.now)() / 1000), user);
  }

  /** Every subscription of one customer, as Stripe has it now. */
  async refreshCustomer(customer: string): Promise<void> {
    const stripe = await this.deps.stripe();
    const asOf = Math.floor((this.deps.now ?? Date.now)() / 1000);
    for await (const sub of stripe.subscriptions.list({ customer, status: 'all', limit: 100 }))
      await this.put(sub, asOf);
  }

  /** Whether it was stored (false: no billing user, or the stored state is newer). */
  private async put(sub: Stripe.Subscription, asOf: number, knownUser?: string): Promise<boolean> {
    const { store, mode, plans } = this.deps;
    const customer = idOf(sub.customer)!;
    const user = knownUser ?? sub.metadata?.user_id ?? (await store.userOfCustomer(mode, customer));
    if (!user) {
      this.deps.logger.debug('subscription of no billing user', { subscription: sub.id });
      return false;
    }
    await store.linkCustomer(mode, user, customer);
    const item = sub.items.data.find((i) => i.price.recurring?.usage_type !== 'metered') ?? sub.items.data[0];
    const plan = item ? plans.planOfPrice(item.price) : undefined;
    const periodEnd =
      (item as { current_period_end?: number } | undefined)?.current_period_end ??
      (sub as { current_period_end?: number }).current_period_end ??
      null;
    return store.putSubscription({
      id: sub.id,
      mode,
      user,
      customer,
      plan: plan?.key ?? sub.metadata?.plan ?? null,
      status: sub.status,
      currentPeriodEnd: periodEnd,
      cancelAtPeriodEnd: sub.cancel_at_period_end,
      trialEnd: sub.trial_end,
      asOf,
    });
  }
}

const idOf = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : v && typeof v === 'object' && 'id' in v ? String(v.id) : undefined;
