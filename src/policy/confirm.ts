import { formatMoney, limitFor, type AmountLimit } from './amounts.js';
import { refusal, type Refusal } from './refusal.js';

export type ConfirmMode = 'none' | 'destructive' | 'money' | 'all';

export interface ConfirmPolicy {
  confirm: ConfirmMode;
  confirmAbove?: AmountLimit;
}

interface Confirmable {
  access: { write: boolean; moneyMoving: boolean };
  annotations: { destructiveHint: boolean };
}

interface MoneyView {
  amount: number;
  currency: string;
  unknownAmount?: boolean;
}

/**
 * Whether a human must confirm this call, and why (null: no). `confirmAbove` narrows `money` to
 * amounts above the threshold; with `none` it alone asks for money-moving calls above it.
 */
export function confirmationReason(
  tool: Confirmable,
  money: MoneyView | null,
  p: ConfirmPolicy,
): string | null {
  if (!tool.access.write) return null;
  if (p.confirm === 'all') return 'every write needs confirmation (--confirm=all)';
  if (p.confirm === 'destructive' && tool.annotations.destructiveHint)
    return 'destructive calls need confirmation (--confirm=destructive)';
  const moving = tool.access.moneyMoving && money !== null;
  if (!moving) return null;
  const threshold = limitFor(p.confirmAbove, money.currency);
  if (money.unknownAmount && (p.confirm === 'money' || threshold !== undefined)) {
    return 'it moves money and its amount cannot be known before the call';
  }
  if (p.confirm === 'money') {
    if (threshold === undefined) return 'money-moving calls need confirmation (--confirm=money)';
    return money.amount > threshold
      ? `it moves more than ${formatMoney(threshold, money.currency)} (--confirm-above)`
      : null;
  }
  if (threshold !== undefined && money.amount > threshold) {
    return `it moves more than ${formatMoney(threshold, money.currency)} (--confirm-above)`;
  }
  return null;
}

/** A Stripe object id of any kind: `po_1N…`, `cs_test_a1…`, `seti_1…`, `fa_…` (a prefix, then the id). */
const ID = /^[a-z]{1,12}(?:_(?:test|live))?_[A-Za-z0-9]{6,}$/;

/** A plain summary of a call for the human approving it: action, amount, customer, object ids. */
export function summarizeCall(
  tool: { name: string; title: string },
  args: Record<string, unknown>,
  money: (MoneyView & { customer?: string | null }) | null,
): string {
  const lines = [`Action: ${tool.title} (${tool.name})`];
  if (money)
    lines.push(
      `Amount: ${money.unknownAmount ? 'not known before the call' : formatMoney(money.amount, money.currency)}`,
    );
  const customer = money?.customer ?? (typeof args.customer === 'string' ? args.customer : undefined);
  if (customer) lines.push(`Customer: ${customer}`);
  // The generic write tool: the request itself, and the ids in its parameters.
  if (typeof args.method === 'string' && typeof args.path === 'string')
    lines.push(`Request: ${args.method} ${args.path}`);
  const params =
    args.params && typeof args.params === 'object' ? (args.params as Record<string, unknown>) : {};
  const ids = [...Object.entries(args), ...Object.entries(params)]
    .filter(([k, v]) => k !== 'customer' && typeof v === 'string' && ID.test(v))
    .map(([k, v]) => `${k}=${String(v)}`);
  if (ids.length) lines.push(`Objects: ${ids.join(', ')}`);
  for (const key of ['description', 'reason', 'mode']) {
    if (typeof args[key] === 'string')
      lines.push(`${key[0]!.toUpperCase()}${key.slice(1)}: ${String(args[key]).slice(0, 200)}`);
  }
  return lines.join('\n');
}

/** The person said no: not done, and not to be retried unasked. */
export function confirmationDeclined(by: string): Refusal {
  return refusal(
    'confirmation_declined',
    `Not done: the person asked to confirm this call declined it (via ${by}). Nothing was sent to Stripe. Do not retry it unless they ask you to.`,
    {},
    'declined',
  );
}

/** Confirmation is required and nobody can be asked. */
export function confirmationUnavailable(reason: string, why?: string): Refusal {
  return refusal(
    'confirmation_unavailable',
    why
      ? `Refused by policy: this call needs a human's confirmation because ${reason}, but ${why}. Nothing was sent to Stripe. Ask the operator to allow the console (--confirm-channel=console or both), or to change --confirm.`
      : `Refused by policy: this call needs a human's confirmation because ${reason}, and there is no way to ask one. Nothing was sent to Stripe. Ask the operator to enable confirmation in the console (--confirm-channel=console), or to change --confirm.`,
  );
}
