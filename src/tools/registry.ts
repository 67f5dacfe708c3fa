import { ConfigError } from '../config/errors.js';
import { selectPermitted, type PermissionConfig } from '../policy/permissions.js';
import type { Tool } from './define-tool.js';
import { accountTools } from './toolsets/account.js';
import { disputeTools, invoiceTools, subscriptionTools } from './toolsets/billing.js';
import { catalogTools } from './toolsets/catalog.js';
import { customerTools } from './toolsets/customers.js';
import { paymentIntentTools, paymentMethodTools, refundTools } from './toolsets/payments.js';
import { eventTools } from './toolsets/events.js';
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
];

/**
 * The tools a configuration exposes (see policy/permissions.ts for the grammar). A pattern that
 * matches nothing is a configuration error that names it.
 */
export function selectTools(
  permissions: Partial<PermissionConfig> | 'all' | string[] = 'all',
  tools: readonly Tool[] = ALL_TOOLS,
): Tool[] {
  const cfg: PermissionConfig =
    permissions === 'all' || Array.isArray(permissions)
      ? { allow: permissions, deny: [], readOnly: false }
      : { allow: 'all', deny: [], readOnly: false, ...permissions };
  const { tools: selected, problems } = selectPermitted(tools, cfg);
  if (problems.length > 0) throw new ConfigError(problems);
  return selected;
}
