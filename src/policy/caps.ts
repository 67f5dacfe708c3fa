import type { Money } from '../money/model.js';
import { anyLimit, formatMoney, limitFor, type AmountLimit } from './amounts.js';
import { refusal, type Refusal } from './refusal.js';

export interface CapPolicy {
  maxAmount?: AmountLimit;
  dailyLimit?: AmountLimit;
}

/**
 * Gate: a call that moves money of unknown amount cannot be checked against an amount limit, so where
 * one applies (to its currency, or to any currency when not even that is known) it is refused.
 */
export function amountKnownGate(money: Money | null, p: CapPolicy): Refusal | null {
  if (!money?.unknownAmount) return null;
  const capped = money.currency
    ? limitFor(p.maxAmount, money.currency) !== undefined ||
      limitFor(p.dailyLimit, money.currency) !== undefined
    : anyLimit(p.maxAmount) || anyLimit(p.dailyLimit);
  return capped
    ? refusal(
        'amount_unknown',
        'Refused by policy: this call moves money, but its amount is not in the arguments, so the amount limits (--max-amount / --daily-limit) cannot be checked. Nothing was sent to Stripe. Pass the amount explicitly.',
      )
    : null;
}

/** Gate: no call moves more than `--max-amount` (per currency). */
export function perCallCapGate(money: Money | null, p: CapPolicy): Refusal | null {
  if (!money || money.unknownAmount) return null;
  const cap = limitFor(p.maxAmount, money.currency);
  if (cap === undefined || money.amount <= cap) return null;
  return refusal(
    'max_amount_exceeded',
    `Refused by policy: this call would move ${formatMoney(money.amount, money.currency)}, above the per-call limit of ${formatMoney(cap, money.currency)} (--max-amount / STRIPE_MAX_AMOUNT). Nothing was sent to Stripe. Split the operation, or ask the operator to raise the limit.`,
    { limit: cap, amount: money.amount, currency: money.currency },
  );
}
