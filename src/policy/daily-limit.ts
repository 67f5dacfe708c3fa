import type { Money } from '../money/model.js';
import type { MoneyLedger } from '../storage/ports.js';
import { formatMoney, limitFor, type AmountLimit } from './amounts.js';
import { refusal, type Refusal } from './refusal.js';

const DAY_MS = 86_400_000;

export interface Reservation {
  ledger: MoneyLedger;
  id: string;
  /** False when an earlier call with the same key holds the entry: this call counted nothing more. */
  fresh: boolean;
}

/** `--daily-limit` and where it is counted. */
export interface DailyLimit {
  limit: AmountLimit;
  ledger: MoneyLedger;
}

export interface DailyLimitInput {
  money: Money | null;
  dailyLimit?: DailyLimit;
  /** Who the limit belongs to: mode and Stripe account. */
  scope: string;
  tool: string;
  /** The call's identity: a repeat counts once. */
  key?: string;
  now: number;
}

/**
 * Gate: reserve this call's amount against the rolling 24-hour limit of its currency, in one atomic
 * step with what was already counted for the same key or object. Returns the reservation (to settle
 * or release after the call), nothing when no limit applies, or the refusal.
 */
export async function dailyLimitGate(c: DailyLimitInput): Promise<Refusal | Reservation | null> {
  const { money } = c;
  if (!money || money.unknownAmount) return null;
  if (!c.dailyLimit) return null;
  const { ledger } = c.dailyLimit;
  const limit = limitFor(c.dailyLimit.limit, money.currency);
  if (limit === undefined) return null;
  const r = await ledger.reserve({
    scope: c.scope,
    currency: money.currency,
    amount: money.amount,
    tool: c.tool,
    objectId: money.objectId,
    key: c.key,
    limit,
    windowMs: DAY_MS,
    now: c.now,
  });
  if (r.ok) return { ledger, id: r.id, fresh: !r.repeat };
  return dailyLimitRefusal(limit, r.used, r.amount, money.currency);
}

export function dailyLimitRefusal(limit: number, used: number, amount: number, currency: string): Refusal {
  const remaining = Math.max(0, limit - used);
  return refusal(
    'daily_limit_exceeded',
    `Refused by policy: the daily limit for ${currency.toUpperCase()} is ${formatMoney(limit, currency)} per rolling 24 hours; ${formatMoney(used, currency)} has been used, ${formatMoney(remaining, currency)} remains, and this call would move ${formatMoney(amount, currency)}. Nothing was sent to Stripe. Wait for earlier payments to leave the 24-hour window, or ask the operator to raise --daily-limit.`,
    { limit, used, remaining, currency },
  );
}

/** Whose limit a call counts against: the mode and the Stripe account (`test:acct_123`, `live:platform`). */
export const ledgerScope = (mode: string, stripeAccount: string | undefined, tenant?: string) =>
  `${mode}:${stripeAccount ?? 'platform'}${tenant ? `#${tenant}` : ''}`;

export const isRefusal = (x: Refusal | Reservation | null): x is Refusal => x !== null && 'code' in x;
