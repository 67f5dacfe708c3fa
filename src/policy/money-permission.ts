import { refusal, type Refusal } from './refusal.js';

interface Checked {
  name: string;
  toolset: string;
  access: { write: boolean; moneyMoving: boolean };
}

/**
 * Gate: a tool whose effect depends on its arguments (the generic write tool) is checked again once
 * they show it moves money, against the same policy that selects tools (`--deny=*.money`, …).
 */
export function moneyPermissionGate(
  tool: Checked,
  movesMoney: boolean,
  permits: ((t: Checked) => boolean) | undefined,
): Refusal | null {
  if (!movesMoney || !permits || permits({ ...tool, access: { write: true, moneyMoving: true } }))
    return null;
  return refusal(
    'money_not_allowed',
    'Refused by policy: this call reaches a money-moving endpoint, and this server does not allow money-moving calls (--tools / --deny / --read-only). Nothing was sent to Stripe.',
  );
}
