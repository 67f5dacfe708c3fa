// The plans file (`--plans`): which plans exist, what each costs and allows, and which plans each tool
// needs. Validated with zod, with messages that name the field (`plans.pro.price.amount: …`).
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const PLAN_NAME = /^[a-z][a-z0-9_-]{0,39}$/;
/** Every subscription status Stripe has; only some of them entitle (`entitled_statuses`). */
export const SUBSCRIPTION_STATUSES = [
  'active',
  'trialing',
  'past_due',
  'canceled',
  'unpaid',
  'incomplete',
  'incomplete_expired',
  'paused',
] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

const quotasSchema = z.strictObject({
  calls_per_day: z.number().int().positive().optional(),
  calls_per_month: z.number().int().positive().optional(),
});

const planSchema = z.strictObject({
  /** What the plan is called where people read it; its key otherwise. */
  name: z.string().min(1).max(100).optional(),
  price: z
    .strictObject({
      amount: z.number().int().positive('a price amount is in minor units and above 0 (900 is $9.00)'),
      currency: z.string().regex(/^[a-z]{3}$/, 'a three-letter lowercase ISO currency code (usd)'),
      interval: z.enum(['day', 'week', 'month', 'year']),
      interval_count: z.number().int().positive().max(36).optional(),
    })
    .optional(),
  trial_days: z.number().int().min(1).max(730).optional(),
  quotas: quotasSchema.optional(),
  overage: z
    .strictObject({
      /** The Billing Meter's event name. */
      meter: z.string().regex(/^[a-z][a-z0-9_]{0,99}$/, 'a meter event name: lowercase letters, digits, _'),
      unit_amount_decimal: z.string().regex(/^\d+(\.\d{1,12})?$/, 'a decimal string in minor units ("0.2")'),
    })
    .optional(),
});

const toolRuleSchema = z.strictObject({
  plans: z.array(z.string()).min(1, 'name at least one plan'),
  /** How many quota units one call uses (default 1). */
  units: z.number().int().positive().max(1_000_000).optional(),
});

export const plansFileSchema = z
  .strictObject({
    product: z.string().min(1).max(250),
    plans: z.record(
      z.string().regex(PLAN_NAME, 'a plan name is lowercase: letters, digits, - or _'),
      planSchema,
    ),
    tools: z.record(z.string().min(1), toolRuleSchema),
    entitled_statuses: z.array(z.enum(SUBSCRIPTION_STATUSES)).min(1).default(['active', 'trialing']),
    grace_period_days: z.number().int().min(0).max(60).default(0),
    /** A failed call gives its units back (default); false: every admitted call counts. */
    refund_failed_calls: z.boolean().default(true),
  })
  .superRefine((file, ctx) => {
    const names = Object.keys(file.plans);
    const free = names.filter((n) => !file.plans[n]!.price);
    if (free.length > 1)
      ctx.addIssue({
        code: 'custom',
        path: ['plans'],
        message: `only one plan may be free (without a price); ${free.join(', ')} are`,
      });
    for (const [tool, rule] of Object.entries(file.tools))
      rule.plans.forEach((p, i) => {
        if (!file.plans[p])
          ctx.addIssue({
            code: 'custom',
            path: ['tools', tool, 'plans', i],
            message: `"${p}" is not a plan in this file (plans: ${names.join(', ')})`,
          });
      });
    for (const [name, plan] of Object.entries(file.plans)) {
      if (plan.trial_days && !plan.price)
        ctx.addIssue({
          code: 'custom',
          path: ['plans', name, 'trial_days'],
          message: 'a free plan has no trial',
        });
      if (plan.overage && !plan.price)
        ctx.addIssue({
          code: 'custom',
          path: ['plans', name, 'overage'],
          message: 'overage needs a paid plan',
        });
      if (plan.overage && !plan.quotas)
        ctx.addIssue({
          code: 'custom',
          path: ['plans', name, 'overage'],
          message: 'overage bills calls past a quota: give the plan quotas too',
        });
    }
  });

export type PlansFile = z.infer<typeof plansFileSchema>;

/** The plans file at `path`, or the problems with it, each naming the field. */
export function loadPlansFile(path: string): { plans: PlansFile } | { problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return {
      problems: [
        e.code === 'ENOENT'
          ? `--plans=${path}: no such file.`
          : `--plans=${path} is not valid JSON: ${e.message}.`,
      ],
    };
  }
  return parsePlans(json, `--plans=${path}`);
}

/** Plans given as JSON (the library's `plans` option), or the problems, each naming the field. */
export function parsePlans(json: unknown, where = 'plans'): { plans: PlansFile } | { problems: string[] } {
  const parsed = plansFileSchema.safeParse(json);
  if (!parsed.success)
    return {
      problems: parsed.error.issues.map((i) => `${where}: ${i.path.join('.') || 'the file'}: ${i.message}.`),
    };
  return { plans: parsed.data };
}
