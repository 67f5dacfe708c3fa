// `mcp-stripe billing sync`: the plans file made real at Stripe, idempotently. One Product per paid plan,
// its recurring Price found by lookup key (Prices are immutable: a changed amount makes a new Price, moves
// the lookup key to it and archives the old one), a Billing Meter and metered Price for overage, and one
// Customer Portal configuration that switches between these plans. Run twice, the second run changes nothing.
import type Stripe from 'stripe';
import type { NamedPlan, Plans } from './plans.js';

export interface SyncChange {
  action: 'create' | 'update' | 'archive' | 'unchanged';
  /** `product acme-search-pro`, `price acme-search:pro`, `meter tool_calls`, `portal configuration`. */
  what: string;
  detail: string;
}

/** What a plan is at Stripe after a sync (the runtime reads the same by lookup key). */
export interface SyncedPlan {
  plan: string;
  product: string;
  price: string;
  overagePrice?: string;
}

export interface SyncResult {
  changes: SyncChange[];
  plans: SyncedPlan[];
  portalConfiguration?: string;
}

/** The metadata every object the sync makes carries, so it is recognised (and another product's is not). */
export const MANAGED = 'mcp_stripe_plans';

export const productIdOf = (plan: NamedPlan) => plan.lookupKey.replace(':', '-');
export const overageKeyOf = (plan: NamedPlan) => `${plan.lookupKey}:overage`;

export async function syncPlans(
  stripe: Stripe,
  plans: Plans,
  opts: { dryRun: boolean },
): Promise<SyncResult> {
  const changes: SyncChange[] = [];
  const synced: SyncedPlan[] = [];
  const note = (action: SyncChange['action'], what: string, detail: string) =>
    changes.push({ action, what, detail });
  const write = async <T>(fn: () => Promise<T>, placeholder: T): Promise<T> =>
    opts.dryRun ? placeholder : fn();
  const slug = plans.file.product;

  for (const plan of plans.paid) {
    const price = plan.price!;
    const productId = productIdOf(plan);
    const name = `${slug} ${plan.label}`;
    // The product: ours by id.
    const product = await stripe.products.retrieve(productId).catch((err: unknown) => {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    });
    if (!product) {
      note('create', `product ${productId}`, name);
      await write(
        () => stripe.products.create({ id: productId, name, metadata: { [MANAGED]: slug, plan: plan.key } }),
        undefined,
      );
    } else if (product.name !== name || !product.active) {
      note('update', `product ${productId}`, `${product.name} -> ${name}`);
      await write(() => stripe.products.update(productId, { name, active: true }), product);
    } else note('unchanged', `product ${productId}`, name);

    // The plan as an Entitlements feature its product grants (what Stripe's entitlement summaries name).
    await syncFeature(
      stripe,
      plan.lookupKey,
      name,
      product ? productId : undefined,
      slug,
      note,
      write,
      productId,
    );

    // The recurring price, by lookup key.
    const recurring = { interval: price.interval, interval_count: price.interval_count ?? 1 };
    const current = (await stripe.prices.list({ lookup_keys: [plan.lookupKey], limit: 1 })).data[0];
    const same =
      current &&
      current.active &&
      current.unit_amount === price.amount &&
      current.currency === price.currency &&
      current.recurring?.interval === recurring.interval &&
      (current.recurring?.interval_count ?? 1) === recurring.interval_count &&
      (typeof current.product === 'string' ? current.product : current.product.id) === productId;
    let priceId = current?.id ?? `(new price for ${plan.lookupKey})`;
    if (same) note('unchanged', `price ${plan.lookupKey}`, describe(current));
    else {
      note(
        'create',
        `price ${plan.lookupKey}`,
        `${price.amount} ${price.currency} per ${recurring.interval_count > 1 ? `${recurring.interval_count} ` : ''}${recurring.interval}${current ? ` (was ${describe(current)})` : ''}`,
      );
      priceId = (
        await write(
          () =>
            stripe.prices.create({
              product: productId,
              currency: price.currency,
              unit_amount: price.amount,
              recurring,
              lookup_key: plan.lookupKey,
              transfer_lookup_key: true,
              nickname: plan.label,
              metadata: { [MANAGED]: slug, plan: plan.key },
            }),
          { id: priceId } as Stripe.Price,
        )
      ).id;
      if (current) {
        note('archive', `price ${current.id}`, `the old ${plan.lookupKey} price (${describe(current)})`);
        await write(() => stripe.prices.update(current.id, { active: false }), current);
      }
    }
    if (!same && !opts.dryRun) await stripe.products.update(productId, { default_price: priceId });

    const entry: SyncedPlan = { plan: plan.key, product: productId, price: priceId };
    if (plan.overage) entry.overagePrice = await syncOverage(stripe, plan, productId, note, write);
    synced.push(entry);
  }

  const portalConfiguration = await syncPortal(stripe, plans, synced, note, write);
  return { changes, plans: synced, ...(portalConfiguration ? { portalConfiguration } : {}) };
}

type Note = (action: SyncChange['action'], what: string, detail: string) => void;
type Write = <T>(fn: () => Promise<T>, placeholder: T) => Promise<T>;

/** The feature `lookupKey`, attached to the product (`existing`: the product already exists at Stripe). */
async function syncFeature(
  stripe: Stripe,
  lookupKey: string,
  name: string,
  existing: string | undefined,
  slug: string,
  note: Note,
  write: Write,
  productId: string,
): Promise<void> {
  const feature = (await stripe.entitlements.features.list({ lookup_key: lookupKey, limit: 1 })).data[0];
  const attached =
    feature && existing
      ? (await stripe.products.listFeatures(existing, { limit: 100 })).data.some(
          (pf) => pf.entitlement_feature.id === feature.id,
        )
      : false;
  if (feature && attached) {
    note('unchanged', `feature ${lookupKey}`, `granted by ${productId}`);
    return;
  }
  note('create', `feature ${lookupKey}`, `granted by ${productId}`);
  const id =
    feature?.id ??
    (
      await write(
        () =>
          stripe.entitlements.features.create({ name, lookup_key: lookupKey, metadata: { [MANAGED]: slug } }),
        { id: '(new feature)' } as Stripe.Entitlements.Feature,
      )
    ).id;
  await write(() => stripe.products.createFeature(productId, { entitlement_feature: id }), undefined);
}

/** The plan's Billing Meter (by event name) and its metered Price (by lookup key). */
async function syncOverage(
  stripe: Stripe,
  plan: NamedPlan,
  productId: string,
  note: Note,
  write: Write,
): Promise<string> {
  const overage = plan.overage!;
  const meters = await stripe.billing.meters.list({ status: 'active', limit: 100 });
  let meter = meters.data.find((m) => m.event_name === overage.meter);
  if (meter) note('unchanged', `meter ${overage.meter}`, meter.id);
  else {
    note('create', `meter ${overage.meter}`, "sums each call's units per customer");
    meter = await write(
      () =>
        stripe.billing.meters.create({
          display_name: `${plan.label} overage (${overage.meter})`,
          event_name: overage.meter,
          default_aggregation: { formula: 'sum' },
          customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
          value_settings: { event_payload_key: 'value' },
        }),
      { id: `(new meter ${overage.meter})` } as Stripe.Billing.Meter,
    );
  }
  const key = overageKeyOf(plan);
  const price = plan.price!;
  const current = (await stripe.prices.list({ lookup_keys: [key], limit: 1 })).data[0];
  const same =
    current &&
    current.active &&
    String(current.unit_amount_decimal) === overage.unit_amount_decimal &&
    current.currency === price.currency &&
    current.recurring?.meter === meter.id;
  if (same) {
    note('unchanged', `price ${key}`, `${overage.unit_amount_decimal} ${price.currency} per unit`);
    return current.id;
  }
  note('create', `price ${key}`, `${overage.unit_amount_decimal} ${price.currency} per unit past the quota`);
  const created = await write(
    () =>
      stripe.prices.create({
        product: productId,
        currency: price.currency,
        unit_amount_decimal: stripe.Decimal.from(overage.unit_amount_decimal),
        recurring: {
          interval: price.interval,
          interval_count: price.interval_count ?? 1,
          usage_type: 'metered',
          meter: meter.id,
        },
        lookup_key: key,
        transfer_lookup_key: true,
        metadata: { plan: plan.key, overage: overage.meter },
      }),
    { id: `(new price for ${key})` } as Stripe.Price,
  );
  if (current) {
    note('archive', `price ${current.id}`, `the old ${key} price`);
    await write(() => stripe.prices.update(current.id, { active: false }), current);
  }
  return created.id;
}

/** One portal configuration (found by metadata): switch between these plans, cancel at period end, cards, invoices. */
async function syncPortal(
  stripe: Stripe,
  plans: Plans,
  synced: SyncedPlan[],
  note: Note,
  write: Write,
): Promise<string | undefined> {
  if (synced.length === 0) return undefined;
  const slug = plans.file.product;
  const features: Stripe.BillingPortal.ConfigurationCreateParams.Features = {
    subscription_update: {
      enabled: true,
      default_allowed_updates: ['price'],
      proration_behavior: 'create_prorations',
      products: synced.map((s) => ({ product: s.product, prices: [s.price] })),
    },
    subscription_cancel: { enabled: true, mode: 'at_period_end' },
    payment_method_update: { enabled: true },
    invoice_history: { enabled: true },
  };
  const all = await stripe.billingPortal.configurations.list({ active: true, limit: 100 });
  const mine = all.data.find((c) => c.metadata?.[MANAGED] === slug);
  const wanted = JSON.stringify(features.subscription_update!.products);
  if (!mine) {
    note(
      'create',
      'portal configuration',
      `switch between ${synced.map((s) => s.plan).join(', ')}; cancel at period end`,
    );
    return (
      await write(
        () =>
          stripe.billingPortal.configurations.create({
            business_profile: { headline: `${slug}: manage your plan` },
            features,
            metadata: { [MANAGED]: slug },
          }),
        { id: '(new portal configuration)' } as Stripe.BillingPortal.Configuration,
      )
    ).id;
  }
  const have = JSON.stringify(
    (mine.features.subscription_update.products ?? []).map((p) => ({ product: p.product, prices: p.prices })),
  );
  if (have === wanted) note('unchanged', 'portal configuration', mine.id);
  else {
    note('update', 'portal configuration', `${mine.id}: the plans to switch between`);
    await write(() => stripe.billingPortal.configurations.update(mine.id, { features }), mine);
  }
  return mine.id;
}

const describe = (p: Stripe.Price) =>
  `${p.unit_amount ?? String(p.unit_amount_decimal)} ${p.currency}${p.recurring ? ` per ${p.recurring.interval}` : ''}`;
