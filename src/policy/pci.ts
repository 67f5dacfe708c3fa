/**
 * The PCI guard: raw card data must never reach Stripe through this server (nor sit in an agent's
 * context). Refuses, at any depth of the arguments, anything that holds card data:
 * - a Luhn-valid run of 12–19 digits, with or without spaces or dashes, in any string or number;
 * - a key that names card data (`card_number`, `cvc`, `cvv`, `exp_month`, …, or `number` under `card`)
 *   holding a raw value.
 * It reports where, never what.
 */
export interface CardDataFinding {
  /** Dotted path of the argument, e.g. `payment_method_data.card.number`. */
  path: string;
  what: 'card number' | 'card security code' | 'card expiry' | 'card field';
}

const SENSITIVE_KEYS: Record<string, CardDataFinding['what']> = {
  card_number: 'card number',
  cardnumber: 'card number',
  pan: 'card number',
  account_number_card: 'card number',
  cvc: 'card security code',
  cvv: 'card security code',
  cvc2: 'card security code',
  cvv2: 'card security code',
  cid: 'card security code',
  security_code: 'card security code',
  exp_month: 'card expiry',
  exp_year: 'card expiry',
  expiry: 'card expiry',
  expiration: 'card expiry',
  expiration_date: 'card expiry',
  exp_date: 'card expiry',
};

/** Candidate digit runs: 12–19 digits, optionally separated by single spaces, dashes or dots, not glued to letters or digits. */
const DIGIT_RUN = /(?<![A-Za-z0-9])\d(?:[ \-.]?\d){11,18}(?![A-Za-z0-9])/g;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

export function containsCardNumber(text: string): boolean {
  for (const match of text.matchAll(DIGIT_RUN)) {
    const digits = match[0].replace(/[ \-.]/g, '');
    // A run of one repeated digit (000000000000) passes Luhn but is never a card.
    if (digits.length >= 12 && digits.length <= 19 && !/^(\d)\1+$/.test(digits) && luhnValid(digits))
      return true;
  }
  return false;
}

function normalizeKey(key: string): string {
  return key
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .replace(/[-\s]/g, '_')
    .toLowerCase();
}

function isRawValue(v: unknown): boolean {
  return (typeof v === 'string' && v.trim() !== '') || typeof v === 'number';
}

export function findCardData(value: unknown, path = '', parentKey = ''): CardDataFinding | null {
  if (typeof value === 'string')
    return containsCardNumber(value) ? { path: path || '(arguments)', what: 'card number' } : null;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && Math.abs(value) >= 1e11) {
      // Past 2^53 the digits cannot be checked: a 16-digit integer is refused either way.
      if (!Number.isSafeInteger(value) || containsCardNumber(String(Math.abs(value)))) {
        return { path: path || '(arguments)', what: 'card number' };
      }
    }
    return null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findCardData(value[i], `${path}[${i}]`, parentKey);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const childPath = path ? `${path}.${key}` : key;
      if (containsCardNumber(key)) return { path: childPath, what: 'card number' };
      const norm = normalizeKey(key);
      const sensitive =
        SENSITIVE_KEYS[norm] ?? (norm === 'number' && /card/.test(parentKey) ? 'card number' : undefined);
      if (sensitive && isRawValue(child)) return { path: childPath, what: sensitive };
      const found = findCardData(child, childPath, norm);
      if (found) return found;
    }
  }
  return null;
}

export function cardDataRefusal(f: CardDataFinding): string {
  return (
    `Refused: the argument "${f.path}" looks like raw card data (${f.what}). Nothing was sent to Stripe. ` +
    'This server never handles card numbers, security codes or expiry dates. Let the customer enter their card with Stripe: ' +
    'Stripe Checkout (create_checkout_session) or a Payment Link (create_payment_link) gives a hosted payment page URL; Stripe.js / Elements produce a payment method id (pm_…) ' +
    'that you can pass as payment_method. In test mode, use test payment methods such as pm_card_visa.'
  );
}
