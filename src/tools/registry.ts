import { ConfigError } from '../config/errors.js';
import type { Tool } from './define-tool.js';
import { accountTools } from './toolsets/account.js';
import { disputeTools, invoiceTools, subscriptionTools } from './toolsets/billing.js';
import { catalogTools } from './toolsets/catalog.js';
import { customerTools } from './toolsets/customers.js';
import { paymentIntentTools, paymentMethodTools, refundTools } from './toolsets/payments.js';
import { sessionTools } from './toolsets/sessions.js';

/** Every tool, in the order `tools/list` shows them. */
export const ALL_TOOLS: readonly Tool[] = [
  ...accountTools,
  ...customerTools,
  ...catalogTools,
  ...paymentIntentTools,
  ...paymentMethodTools,
  ...refundTools,
  ...subscriptionTools,
  ...invoiceTools,
  ...disputeTools,
  ...sessionTools,
];

/** The tools a configuration exposes: `all`, or exact names (an unknown name is a configuration error). */
export function selectTools(
  selection: 'all' | readonly string[],
  tools: readonly Tool[] = ALL_TOOLS,
): Tool[] {
  if (selection === 'all') return [...tools];
  const byName = new Map(tools.map((t) => [t.name, t]));
  const unknown = selection.filter((n) => !byName.has(n));
  if (unknown.length > 0) {
    throw new ConfigError([
      `--tools names unknown tool${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}. Known tools: ${tools.map((t) => t.name).join(', ')}.`,
    ]);
  }
  const wanted = new Set(selection);
  return tools.filter((t) => wanted.has(t.name));
}
