import { redactSecrets } from '../log.js';
import { maskCardData } from './pci.js';

/** Arguments as the audit log keeps them: no secrets, no card data in any encoding (numbers, CVC, expiry). */
export function maskForAudit(value: unknown): unknown {
  return redactStrings(maskCardData(value));
}

function redactStrings(value: unknown): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (Array.isArray(value)) return value.map(redactStrings);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactStrings(v)]));
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
