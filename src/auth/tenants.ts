import type { TenantConfig } from '../config/tenants.js';
import type { Caller } from './caller.js';

/**
 * The tenants a caller belongs to: by subject, email, email domain, group, or api key (its name, or
 * the tenant it was issued for). Callers bringing their own Stripe key act on their own account and
 * local callers on the server's: neither belongs to a tenant.
 */
export function tenantsOf(caller: Caller, tenants: readonly TenantConfig[]): string[] {
  if (caller.kind === 'local' || caller.kind === 'stripe-key') return [];
  const email = caller.email?.toLowerCase();
  const domain = email?.split('@')[1];
  return tenants
    .filter(({ id, members: m }) => {
      if (caller.kind === 'api-key')
        return caller.tenant === id || (caller.name !== undefined && (m.apiKeys ?? []).includes(caller.name));
      return (
        (caller.subject !== undefined &&
          (m.subjects ?? []).some((s) => s === caller.subject || s === caller.id)) ||
        (email !== undefined && (m.emails ?? []).some((e) => e.toLowerCase() === email)) ||
        (domain !== undefined &&
          (m.emailDomains ?? []).some((d) => d.toLowerCase().replace(/^@/, '') === domain)) ||
        (caller.groups ?? []).some((g) => (m.groups ?? []).includes(g))
      );
    })
    .map((t) => t.id);
}
