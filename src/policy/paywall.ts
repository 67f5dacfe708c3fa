// The paywall and quota gates' refusals, and the port the runner calls (billing/engine.ts implements it).
// The messages are the paywall's UX: written for the model to relay, with a working absolute URL.
import type { Caller } from '../auth/caller.js';
import { refusal, type Refusal } from './refusal.js';

/** A plan as a refusal names it. */
export interface OfferedPlan {
  key: string;
  label: string;
  /** "$29.00 per month". */
  price: string;
  trialDays?: number;
}

/** A call admitted past the paywall: it settles once, when it ends. */
export interface PaidCall {
  /** `ok`: counted (and metered); `error`: counted unless failed calls are refunded; `not_run`: given back. */
  settle(outcome: 'ok' | 'error' | 'not_run'): Promise<void>;
}

/** What the runner asks before a tool runs: refused, admitted (to settle), or not sold (undefined). */
export interface Paywall {
  admit(tool: string, caller: Caller, callId: string): Promise<Refusal | PaidCall | undefined>;
}

/** What the paying user's own tools read (billing_status, upgrade_plan, manage_billing). */
export interface BillingView {
  status(caller: Caller): Promise<Record<string, unknown>>;
  /** The plans on offer, cheapest first. */
  offers(): (OfferedPlan & { quotas: Record<string, number> })[];
  /** An upgrade link for `plan`, or the next plan up from the caller's; an error message when there is none. */
  upgrade(caller: Caller, plan?: string): Promise<{ plan: OfferedPlan; url: string } | { error: string }>;
  /** A Customer Portal link, or why there is none yet. */
  manage(caller: Caller): Promise<{ url: string } | { error: string }>;
}

export const isPaidCall = (v: Refusal | PaidCall | undefined): v is PaidCall =>
  v !== undefined && 'settle' in v;

export function paymentRequired(p: {
  tool: string;
  current?: OfferedPlan;
  needed: OfferedPlan;
  url: string;
}): Refusal {
  const trial = p.needed.trialDays ? ` It starts with a ${p.needed.trialDays}-day free trial.` : '';
  return refusal(
    'payment_required',
    `${p.tool} needs the ${p.needed.label} plan (${p.needed.price})${p.current ? `; you are on ${p.current.label}` : ''}.${trial} Tell the user they can upgrade here: ${p.url} (the link works for 30 minutes). Once they have paid, call ${p.tool} again.`,
    {
      plan: p.needed.key,
      price: p.needed.price,
      url: p.url,
      ...(p.current ? { current_plan: p.current.key } : {}),
    },
  );
}

export function quotaExceeded(p: {
  tool: string;
  plan: OfferedPlan;
  quota: 'calls_per_day' | 'calls_per_month';
  used: number;
  limit: number;
  /** ISO time (UTC) the window resets. */
  resetsAt: string;
  /** An upgrade, when a bigger plan exists. */
  upgrade?: { plan: OfferedPlan; url: string };
}): Refusal {
  const per = p.quota === 'calls_per_day' ? 'today' : 'this month';
  return refusal(
    'quota_exceeded',
    `The ${p.plan.label} plan's quota is used up: ${p.used} of ${p.limit} calls ${per}. It resets at ${p.resetsAt}.${
      p.upgrade
        ? ` For more now, tell the user they can upgrade to ${p.upgrade.plan.label} (${p.upgrade.plan.price}): ${p.upgrade.url}`
        : ''
    }`,
    {
      plan: p.plan.key,
      quota: p.quota,
      used: p.used,
      limit: p.limit,
      resets_at: p.resetsAt,
      ...(p.upgrade ? { upgrade_plan: p.upgrade.plan.key, url: p.upgrade.url } : {}),
    },
  );
}
