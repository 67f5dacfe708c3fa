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

  /** Rules given in code (the library's `paidTool`), over the file's. */
  private readonly sold = new Map<string, PlansFile['tools'][string]>();

  /** Sells `tool` on these plans (the library's `paidTool`); throws, naming the plan, when one is unknown. */
  sell(tool: string, rule: { plans: string[]; units?: number }): void {
    if (rule.plans.length === 0) throw new Error(`${tool}: name at least one plan it is sold on.`);
    const unknown = rule.plans.find((p) => !this.byKey.has(p));
    if (unknown)
      throw new Error(
        `${tool}: "${unknown}" is not a plan in the plans file (plans: ${[...this.byKey.keys()].join(', ')}).`,
      );
    if (rule.units !== undefined && !(Number.isInteger(rule.units) && rule.units > 0))
      throw new Error(`${tool}: units is a whole number above 0 (got ${rule.units}).`);
    this.sold.set(tool, rule);
  }

  /** The rule for a tool: its own entry, else `*`; undefined: the tool is not sold (free for all). */
  ruleFor(tool: string): { plans: NamedPlan[]; units: number } | undefined {
    const rule = this.sold.get(tool) ?? this.file.tools[tool] ?? this.file.tools['*'];
    if (!rule) return undefined;
    return { plans: rule.plans.map((p) => this.byKey.get(p)!), units: rule.units ?? 1 };
  }

  /** What a tool's description adds so the agent knows an upgrade exists: "Plans: Pro, Team; …". */
  planNote(tool: string): string | undefined {
    const rule = this.ruleFor(tool);
    if (!rule) return undefined;
    const units = rule.units === 1 ? '' : `; each call uses ${rule.units} quota units`;
    return `Plans: ${rule.plans.map((p) => p.label).join(', ')}${units}.`;
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
