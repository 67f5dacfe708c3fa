import { redactSecrets } from '../log.js';
import { containsCardNumber } from './pci.js';

/** Arguments as the audit log keeps them: no secrets, no card-like data. */
export function maskForAudit(value: unknown): unknown {
  if (typeof value === 'string')
    return containsCardNumber(value) ? '[card data removed]' : redactSecrets(value);
  if (typeof value === 'number') return containsCardNumber(String(value)) ? '[card data removed]' : value;
  if (Array.isArray(value)) return value.map(maskForAudit);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        containsCardNumber(k) ? '[card data removed]' : k,
        maskForAudit(v),
      ]),
    );
  }
  return value;
}

const PII: Record<string, RegExp> = {
  email: /(^|_)email(_address)?$/,
  phone: /(^|_)phone$/,
  address: /(^|_)address$|^shipping$|^billing_details$/,
  name: /^(customer_)?name$/,
};

/** Masks customer PII in tool results for deployments that ask for it (`--redact=email,phone,…`). */
export function redactPii<T>(value: T, kinds: readonly string[]): T {
  if (kinds.length === 0) return value;
  const patterns = kinds.map((k) => PII[k]).filter((p): p is RegExp => p !== undefined);
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v).map(([k, child]) => [
          k,
          child !== null && patterns.some((p) => p.test(k)) ? '[redacted]' : walk(child),
        ]),
      );
    }
    return v;
  };
  return walk(value) as T;
}
