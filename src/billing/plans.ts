// Plans as the engine reads them: each plan with its label and Stripe lookup key, the rule for a tool.
import type { PlansFile } from '../config/plans.js';
import { formatMoney } from '../money/currencies.js';

export type { PlansFile } from '../config/plans.js';
export type Plan = PlansFile['plans'][string];

/** One plan with its name: what the engine and the paywall message read. */
export interface NamedPlan extends Plan {
  key: string;
  /** Where people read it ("Pro"). */
  label: string;
  /** Stripe Price lookup key: `<product slug>:<plan>` (stable across amount changes: the key moves). */
  lookupKey: string;
}

export class Plans {
  readonly byKey: ReadonlyMap<string, NamedPlan>;
  readonly free: NamedPlan | undefined;

  constructor(readonly file: PlansFile) {
    const slug = slugOf(file.product);
    this.byKey = new Map(
      Object.entries(file.plans).map(([key, plan]) => [
        key,
        {
          ...plan,
          key,
          label: plan.name ?? key[0]!.toUpperCase() + key.slice(1),
          lookupKey: `${slug}:${key}`,
        },
      ]),
    );
    this.free = [...this.byKey.values()].find((p) => !p.price);
  }

  get paid(): NamedPlan[] {
    return [...this.byKey.values()].filter((p) => p.price);
  }

  /** The rule for a tool: its own entry, else `*`; undefined: the tool is not sold (free for all). */
  ruleFor(tool: string): { plans: NamedPlan[]; units: number } | undefined {
    const rule = this.file.tools[tool] ?? this.file.tools['*'];
    if (!rule) return undefined;
    return { plans: rule.plans.map((p) => this.byKey.get(p)!), units: rule.units ?? 1 };
  }

  /** The plan a price belongs to (by lookup key, or by the plan named in the price's metadata). */
  planOfPrice(price: { lookup_key?: string | null; metadata?: Record<string, string> | null }) {
    const byMeta = price.metadata?.plan;
    if (byMeta && this.byKey.has(byMeta)) return this.byKey.get(byMeta);
    return [...this.byKey.values()].find((p) => p.lookupKey === price.lookup_key);
  }

  /** The cheapest paid plan among these (what an upgrade offers first). */
  cheapest(plans: NamedPlan[]): NamedPlan | undefined {
    return plans.filter((p) => p.price).sort((a, b) => a.price!.amount - b.price!.amount)[0];
  }
}

export const priceText = (plan: NamedPlan) =>
  plan.price
    ? `${formatMoney(plan.price.amount, plan.price.currency)} per ${plan.price.interval_count && plan.price.interval_count > 1 ? `${plan.price.interval_count} ${plan.price.interval}s` : plan.price.interval}`
    : 'free';

const slugOf = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60) || 'plans';
