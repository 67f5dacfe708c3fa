import { refusal, type Refusal } from './refusal.js';

/**
 * The PCI guard: raw card data must never reach Stripe through this server (nor sit in an agent's
 * context or the audit log). Refuses, at any depth of the arguments, anything that holds card data:
 * - a card number: a Luhn-valid run of digits whose length and first digits are those of a real card
 *   network, in any string or number, however it is written (other scripts' digits, fullwidth forms,
 *   invisible characters, percent-encoding, any short run of separators between digits);
 * - a key that names card data as Stripe would read it (`card[cvc]`, `card_number`, `cvv`,
 *   `exp_month`, `number` under a card, …) holding any value.
 * Values under keys that name other long numbers (`phone`, `imei`, `iban`, `order_id`, …) and digit
 * runs written as phone numbers (`+…`) or IBANs are not card numbers. It reports where, never what.
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
  ccv: 'card security code',
  cvc2: 'card security code',
  cvv2: 'card security code',
  cid: 'card security code',
  csc: 'card security code',
  security_code: 'card security code',
  exp_month: 'card expiry',
  exp_year: 'card expiry',
  expiry: 'card expiry',
  expiry_month: 'card expiry',
  expiry_year: 'card expiry',
  expiration: 'card expiry',
  expiration_month: 'card expiry',
  expiration_year: 'card expiry',
  expiration_date: 'card expiry',
  exp_date: 'card expiry',
  expiry_date: 'card expiry',
};

/** Keys whose values are long numbers of another kind: not read as card numbers. */
const OTHER_NUMBER_KEY =
  /(^|_)(phone|mobile|tel|telephone|fax|msisdn|imei|imsi|iban|bban|isbn|ean|upc|gtin|tracking_number|timestamp|order_id|order_number|order|invoice_number|id)$/;

const otherCache = new Map<string, boolean>();

function isOtherNumberKey(key: string): boolean {
  let hit = otherCache.get(key);
  if (hit === undefined) {
    hit = OTHER_NUMBER_KEY.test(normalizeKey(key));
    if (otherCache.size > 10_000) otherCache.clear();
    otherCache.set(key, hit);
  }
  return hit;
}

/** Digits in any script, as ASCII (`٤` → `4`): Unicode decimal digits come in runs of ten from zero. */
function asciiDigits(text: string): string {
  return text.replace(/\p{Nd}/gu, (ch) => {
    const cp = ch.codePointAt(0)!;
    if (cp >= 48 && cp <= 57) return ch;
    let zero = cp;
    while (/\p{Nd}/u.test(String.fromCodePoint(zero - 1))) zero--;
    return String((cp - zero) % 10);
  });
}

/**
 * Text as a card reader would see it: Unicode-normalized (fullwidth and mathematical digits become
 * ASCII), every script's digits as ASCII, invisible format characters (zero-width spaces, soft
 * hyphens) removed, and percent-encoding decoded.
 */
export function normalizeForCards(text: string): string {
  // The common case, plain ASCII without percent-encoding, is already normal (this runs on every string).
  if (PLAIN.test(text)) return text;
  let t = text;
  if (/%[0-9A-Fa-f]{2}/.test(t)) {
    try {
      t = decodeURIComponent(t.replace(/\+/g, ' '));
    } catch {
      t = t.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    }
  }
  return asciiDigits(t.normalize('NFKC')).replace(/\p{Cf}/gu, '');
}

// eslint-disable-next-line no-control-regex -- any ASCII but "%"
const PLAIN = /^[\x00-\x24\x26-\x7f]*$/;

/** How many ASCII digits `text` holds, stopping once `enough` are found. */
function digitCount(text: string, enough: number): number {
  let n = 0;
  for (let i = 0; i < text.length && n < enough; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/**
 * Candidate digit runs: 12–19 digits, each pair separated by at most three separator characters
 * (spaces of any kind, dashes, dots, slashes, underscores, commas), not glued to letters or digits.
 */
const DIGIT_RUN = /(?<![\p{L}\d])\d(?:[\s\-./_,]{0,3}\d){11,18}(?![\p{L}\d])/gu;

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

/** Whether a network issues cards of this length starting with these digits (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro, Mir, RuPay, Troy, UATP). */
export function cardShaped(d: string): boolean {
  const n = d.length;
  const p = (k: number) => Number(d.slice(0, k));
  switch (d[0]) {
    case '1':
      return n === 15; // UATP
    case '2':
      return (p(4) >= 2221 && p(4) <= 2720 && n === 16) || (p(4) >= 2200 && p(4) <= 2204 && n >= 16);
    case '3':
      return (
        ((p(2) === 34 || p(2) === 37) && n === 15) ||
        (p(2) === 35 && n >= 16) ||
        ([30, 36, 38, 39].includes(p(2)) && n >= 14)
      );
    case '4':
      return n === 13 || n === 16 || n === 19;
    case '5':
      return (p(2) >= 51 && p(2) <= 55 && n === 16) || ((p(2) === 50 || p(2) >= 56) && n >= 12);
    case '6':
      return n >= 12;
    case '8':
      return (p(2) === 81 || p(2) === 82) && n >= 16;
    case '9':
      return p(4) === 9792 && n === 16;
    default:
      return false;
  }
}

function isCard(digits: string): boolean {
  return (
    digits.length >= 12 &&
    digits.length <= 19 &&
    !/^(\d)\1+$/.test(digits) && // one repeated digit passes Luhn but is never a card
    cardShaped(digits) &&
    luhnValid(digits)
  );
}

/** Where card numbers sit in `text` (after normalization), as [start, end) offsets of the normalized text. */
function cardRuns(normalized: string): [number, number][] {
  const runs: [number, number][] = [];
  if (digitCount(normalized, 12) < 12) return runs;
  for (const m of normalized.matchAll(DIGIT_RUN)) {
    const before = normalized.slice(Math.max(0, m.index - 6), m.index);
    // A phone number (+44 20 7946 0958) or the rest of an IBAN (DE89 3704 0044 …).
    if (/\+\s?$/.test(before) || /[A-Z]{2}\d{2}[\s]?$/.test(before)) continue;
    if (isCard(m[0].replace(/\D/g, ''))) runs.push([m.index, m.index + m[0].length]);
  }
  return runs;
}

/** A security code written out in text: `cvc 987`, `CVV: 1234`, `security code 123`. */
const CODE_IN_TEXT = /\b(?:cvc2?|cvv2?|ccv|csc|security\s+code)\b[^\p{L}\d]{0,3}\d{3,4}(?!\d)/giu;

function hasCodeInText(normalized: string): boolean {
  if (digitCount(normalized, 3) < 3 || !/cv|cc|csc|security/i.test(normalized)) return false;
  CODE_IN_TEXT.lastIndex = 0;
  return CODE_IN_TEXT.test(normalized);
}

export function containsCardNumber(text: string): boolean {
  return cardRuns(normalizeForCards(text)).length > 0;
}

/** A JSON number as a card: exact below 2^53; above, its leading digits and length (20 digits and more are never cards). */
function numberIsCard(value: number): boolean {
  if (!Number.isInteger(value) || Math.abs(value) < 1e11) return false;
  const digits = BigInt(Math.abs(value)).toString();
  if (Number.isSafeInteger(value)) return isCard(digits);
  return digits.length <= 19 && cardShaped(digits);
}

function normalizeKey(key: string): string {
  return key
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .replace(/[-\s]/g, '_')
    .toLowerCase();
}

const lastCache = new Map<string, string>();

/** The last segment of a key, normalized: the parent key its children are read under. */
function lastSegment(key: string): string {
  let seg = lastCache.get(key);
  if (seg === undefined) {
    seg = keySegments(key).at(-1) ?? key;
    if (lastCache.size > 10_000) lastCache.clear();
    lastCache.set(key, seg);
  }
  return seg;
}

/** `card[exp_month]` → `card`, `exp_month`: flat bracket keys name nested fields, as in Stripe's form encoding. */
function keySegments(key: string): string[] {
  return key
    .split(/[[\].]+/)
    .filter(Boolean)
    .map(normalizeKey);
}

const fieldCache = new Map<string, CardDataFinding['what'] | null>();

/** What card field a key names, given the key above it (`number` counts only under a card). */
export function cardFieldOf(key: string, parentKey = ''): CardDataFinding['what'] | undefined {
  // Keys repeat across every object of every result: decide each (parent, key) pair once.
  const memo = `${parentKey}\u0000${key}`;
  const known = fieldCache.get(memo);
  if (known !== undefined) return known ?? undefined;
  const found = classifyKey(key, parentKey);
  if (fieldCache.size > 10_000) fieldCache.clear();
  fieldCache.set(memo, found ?? null);
  return found;
}

function classifyKey(key: string, parentKey: string): CardDataFinding['what'] | undefined {
  const segments = keySegments(key);
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const parent = i > 0 ? segments[i - 1]! : normalizeKey(parentKey);
    const bare = seg.replace(/^(credit_card|card|cc)_/, '');
    const hit = SENSITIVE_KEYS[seg] ?? SENSITIVE_KEYS[bare];
    if (hit) return hit;
    if ((seg === 'number' || bare === 'number' || bare === 'num') && (/card/.test(parent) || seg !== bare))
      return 'card number';
  }
  return undefined;
}

/** Any non-empty scalar anywhere in `v`: a card field holding an array or object still holds the data. */
function holdsValue(v: unknown): boolean {
  if (typeof v === 'string') return v.trim() !== '';
  if (typeof v === 'number' || typeof v === 'bigint') return true;
  if (Array.isArray(v)) return v.some(holdsValue);
  if (v && typeof v === 'object') return Object.values(v).some(holdsValue);
  return false;
}

export function findCardData(value: unknown, path = '', parentKey = ''): CardDataFinding | null {
  const here = path || '(arguments)';
  const otherNumber = parentKey !== '' && isOtherNumberKey(parentKey);
  if (typeof value === 'string') {
    if (!otherNumber && containsCardNumber(value)) return { path: here, what: 'card number' };
    return hasCodeInText(normalizeForCards(value)) ? { path: here, what: 'card security code' } : null;
  }
  if (typeof value === 'number')
    return !otherNumber && numberIsCard(value) ? { path: here, what: 'card number' } : null;
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
      const field = cardFieldOf(key, parentKey);
      if (field && holdsValue(child)) return { path: childPath, what: field };
      const found = findCardData(child, childPath, lastSegment(key));
      if (found) return found;
    }
  }
  return null;
}

const REMOVED = '[card data removed]';

/**
 * `value` with card data masked wherever it is: card fields' values, card numbers in any string (the
 * rest of the text kept), card-shaped numbers and keys. For the audit log, and for results that carry
 * Stripe's data (an event payload, an error's `param`) back to the agent.
 */
export function maskCardData(value: unknown, parentKey = '', opts: MaskOptions = {}): unknown {
  if (typeof value === 'string') return maskText(value);
  if (typeof value === 'number') return numberIsCard(value) ? REMOVED : value;
  const masked = (k: string, v: unknown) => {
    const field = cardFieldOf(k, parentKey);
    return field && !(opts.keepExpiry && field === 'card expiry') && holdsValue(v)
      ? REMOVED
      : maskCardData(v, lastSegment(k), opts);
  };
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((v, i) => {
      const m = maskCardData(v, parentKey, opts);
      if (m !== v) (out ??= value.slice())[i] = m;
    });
    return out ?? value;
  }
  if (value && typeof value === 'object') {
    // Copy on write: most results hold no card data, and are returned as they are. Each child is
    // masked once (recomputing it for the copy would repeat the work at every level above a change).
    const entries = Object.entries(value);
    let out: [string, unknown][] | undefined;
    entries.forEach(([k, v], i) => {
      const key = containsCardNumber(k) ? REMOVED : k;
      const m = masked(k, v);
      // The entries before the first change are unchanged: copy them as they are.
      if (!out && (key !== k || m !== v)) out = entries.slice(0, i);
      out?.push([key, m]);
    });
    return out ? Object.fromEntries(out) : value;
  }
  return value;
}

export interface MaskOptions {
  /**
   * Keep expiry dates: Stripe returns a saved card's `exp_month` / `exp_year` (with brand and last4),
   * and they are no secret on their own. Results keep them; what is stored from arguments does not.
   */
  keepExpiry?: boolean;
}

function maskText(text: string): string {
  const normalized = normalizeForCards(text);
  const runs = cardRuns(normalized);
  if (runs.length === 0 && !hasCodeInText(normalized)) return text;
  // Offsets are in the normalized text: mask there (the original's encoding is not worth keeping).
  let out = '';
  let at = 0;
  for (const [start, end] of runs) {
    out += normalized.slice(at, start) + REMOVED;
    at = end;
  }
  return (out + normalized.slice(at)).replace(CODE_IN_TEXT, REMOVED);
}

export function cardDataRefusal(f: CardDataFinding): string {
  return (
    `Refused: the argument "${f.path}" looks like raw card data (${f.what}). Nothing was sent to Stripe. ` +
    'This server never handles card numbers, security codes or expiry dates. Let the customer enter their card with Stripe: ' +
    'a Checkout Session (create_checkout_session) or a Payment Link (POST /v1/payment_links) gives a hosted payment page URL; Stripe.js / Elements produce a payment method id (pm_…) ' +
    'that you can pass as payment_method. In test mode, use test payment methods such as pm_card_visa.'
  );
}

/** Gate: raw card data is refused before anything else reads the arguments (so nothing can echo it). */
export function cardDataGate(args: unknown): Refusal | null {
  const found = findCardData(args);
  return found ? refusal('card_data_refused', cardDataRefusal(found), { param: found.path }) : null;
}
