import { ConfigError } from '../config/errors.js';
import { selectPermitted, type PermissionConfig } from '../policy/permissions.js';
import type { Tool } from './define-tool.js';
import { accountTools } from './toolsets/account.js';
import { analyticsTools } from './toolsets/analytics.js';
import { apiTools } from './toolsets/api.js';
import { disputeTools, invoiceTools, subscriptionTools } from './toolsets/billing.js';
import { catalogTools } from './toolsets/catalog.js';
import { customerTools } from './toolsets/customers.js';
import { eventTools } from './toolsets/events.js';
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
  ...eventTools,
  ...analyticsTools,
  ...apiTools,
];

/**
 * Named selections for `--tools`. `compact` (the default) reaches every endpoint through the generic
 * tools and keeps the most-used named tools, within the context budget (see docs/tools.md#profiles);
 * `all` is every tool.
 */
export const PROFILES: Record<string, readonly string[]> = {
  compact: [
    'create_customer',
    'create_payment_intent',
    'create_refund',
    'create_checkout_session',
    'get_payment_status',
    'wait_for_event',
    ...apiTools.map((t) => t.name),
  ],
};

/** Replaces profile names in `--tools` with the tools they stand for. */
export function expandProfiles(p: PermissionConfig): PermissionConfig {
  if (p.allow === 'all') return p;
  if (p.allow.includes('all')) return { ...p, allow: 'all' };
  return { ...p, allow: p.allow.flatMap((name) => PROFILES[name] ?? [name]) };
}

/**
 * The tools a configuration exposes (see policy/permissions.ts for the grammar; profile names
 * expand first). A pattern that matches nothing is a configuration error that names it.
 */
export function selectTools(
  permissions: Partial<PermissionConfig> | 'all' | string[] = 'all',
  tools: readonly Tool[] = ALL_TOOLS,
): Tool[] {
  const cfg: PermissionConfig =
    permissions === 'all' || Array.isArray(permissions)
      ? { allow: permissions, deny: [], readOnly: false }
      : { allow: 'all', deny: [], readOnly: false, ...permissions };
  const { tools: selected, problems } = selectPermitted(tools, expandProfiles(cfg));
  if (problems.length > 0) throw new ConfigError(problems);
  return selected;
}
