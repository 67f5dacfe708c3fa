import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import { DEFAULT_RETAIN, trimArray } from '../util/bounded.js';
import { invalid, notFound } from './errors.js';
import { int, str, type Params } from './params.js';

export type StripeObject = { id: string; object: string; [key: string]: unknown };

/**
 * The objects the sandbox keeps, typed as the SDK types them. A type-only import: the sandbox never
 * loads the SDK. Objects are the JSON Stripe returns (ids where the SDK's types allow an expanded object).
 */
export interface ObjectTypes {
  balance_transaction: Stripe.BalanceTransaction;
  charge: Stripe.Charge;
  coupon: Stripe.Coupon;
  customer: Stripe.Customer;
  discount: Stripe.Discount;
  dispute: Stripe.Dispute;
  invoice: Stripe.Invoice;
  invoiceitem: Stripe.InvoiceItem;
  line_item: Stripe.InvoiceLineItem;
  payment_intent: Stripe.PaymentIntent;
  payment_method: Stripe.PaymentMethod;
  payout: Stripe.Payout;
  price: Stripe.Price;
  product: Stripe.Product;
  refund: Stripe.Refund;
  subscription: Stripe.Subscription;
  subscription_item: Stripe.SubscriptionItem;
  'test_helpers.test_clock': Stripe.TestHelpers.TestClock;
}
export type ObjectName = keyof ObjectTypes;
/** A stored object of a known type: the SDK's fields, plus whatever else the sandbox keeps on it. */
export type Stored<K extends ObjectName> = ObjectTypes[K] & StripeObject;
/**
 * What the sandbox sets on a new object of a known type: any of the SDK's fields, each of its SDK type
 * (a field the sandbox does not model is absent, though the SDK types it as present).
 */
export type Fields<K extends ObjectName> = Partial<Omit<ObjectTypes[K], 'id' | 'object'>> &
  Record<string, unknown>;

/** A decimal as the wire carries it (a string); the SDK types the parsed value (its Decimal). */
export const wireDecimal = (s: string) => s as unknown as Stripe.Decimal;

/** A sub-object built by the sandbox (a subscription item, an invoice line): its fields checked, typed whole. */
export const built = <K extends ObjectName>(_object: K, fields: Fields<K> & { id: string; object: K }) =>
  fields as unknown as Stored<K>;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** While set (the demo seed, which runs alone before the sandbox listens), ids come from it: same seed, same ids. */
let idRandom: (() => number) | undefined;
export function drawIdsFrom(random: (() => number) | undefined): void {
  idRandom = random;
}

export function newId(prefix: string, length = 24): string {
  const bytes = idRandom ? Array.from({ length }, () => Math.floor(idRandom!() * 256)) : randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return `${prefix}_${out}`;
}

export interface Clock {
  /** Unix seconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Math.floor(Date.now() / 1000) };

let eventSeq = 0;

type Listener = (event: StripeObject, store: AccountStore) => void;

/** The API request an event came from (Stripe records it on the event). */
export interface RequestContext {
  id: string | null;
  idempotencyKey: string | null;
  apiVersion: string | null;
}

/**
 * All objects of one Stripe account (the platform, or a Connect account reached with `Stripe-Account`).
 * Objects are stored as the JSON Stripe would return; responses are deep copies.
 */
export class AccountStore {
  private readonly byId = new Map<string, StripeObject>();
  private readonly byType = new Map<string, StripeObject[]>();
  /** Behaviour of payment methods made from Stripe's test tokens (`pm_card_visa` …), keyed by pm id. */
  readonly testCards = new Map<string, string>();
  /** Line items of payment links and checkout sessions (a sub-list Stripe serves separately). */
  readonly lineItems = new Map<string, Record<string, unknown>[]>();
  private invoiceSeq = 0;

  constructor(
    readonly accountId: string,
    readonly clock: Clock,
    private readonly onEvent: Listener = () => {},
    private readonly request: () => RequestContext = () => ({
      id: null,
      idempotencyKey: null,
      apiVersion: null,
    }),
    /** Connect accounts set `account` on their events; the platform does not. */
    readonly connected = false,
    /** Events kept (the oldest go first, as Stripe keeps events for 30 days only). */
    private readonly retainEvents = DEFAULT_RETAIN,
  ) {}

  /** Times set by `at()`: a test clock's frozen time while its customer's objects change. */
  private readonly frozen: number[] = [];
  /** One-off happenings already done (a trial's "ends in 3 days" notice), by key. */
  readonly marks = new Set<string>();
  /** Derived state last announced (a customer's entitlement summary), by key. */
  readonly summaries = new Map<string, string>();

  now(): number {
    return this.frozen.at(-1) ?? this.clock.now();
  }

  /** Runs `fn` with `now()` at `time` (a test clock's), or as it is when `time` is undefined. */
  at<T>(time: number | undefined, fn: () => T): T {
    if (time === undefined) return fn();
    this.frozen.push(time);
    try {
      return fn();
    } finally {
      this.frozen.pop();
    }
  }

  insert<T extends StripeObject>(obj: T): T {
    this.byId.set(obj.id, obj);
    let list = this.byType.get(obj.object);
    if (!list) this.byType.set(obj.object, (list = []));
    list.push(obj);
    return obj;
  }

  /** Builds `{ id, object, created, livemode: false, ...fields }` and stores it. */
  create<K extends ObjectName>(prefix: string, object: K, fields: Fields<K>): Stored<K>;
  create<T extends StripeObject>(prefix: string, object: string, fields: Omit<T, 'id' | 'object'>): T;
  create(prefix: string, object: string, fields: Record<string, unknown>): StripeObject {
    const obj = {
      id: newId(prefix),
      object,
      created: this.now(),
      livemode: false,
      ...fields,
    };
    return this.insert(obj);
  }

  get(id: string): StripeObject | undefined {
    return this.byId.get(id);
  }

  /** The object of this type with this id, or Stripe's 404 naming the param. */
  require<K extends ObjectName>(object: K, id: string, param?: string): Stored<K>;
  require<T extends StripeObject = StripeObject>(object: string, id: string, param?: string): T;
  require(object: string, id: string, param = 'id'): StripeObject {
    const found = this.byId.get(id);
    if (!found || found.object !== object || found.deleted === true) {
      throw notFound(object, id, param);
    }
    return found;
  }

  /** The object a field refers to (an id, or an expanded object), if it exists and is of this type. */
  find<K extends ObjectName>(
    object: K,
    ref: string | { id: string } | null | undefined,
  ): Stored<K> | undefined {
    const id = typeof ref === 'string' ? ref : ref?.id;
    const found = id ? this.byId.get(id) : undefined;
    return found?.object === object && found.deleted !== true ? (found as Stored<K>) : undefined;
  }

  /** The object a field refers to, or Stripe's 404 (a reference to a missing object). */
  requireRef<K extends ObjectName>(
    object: K,
    ref: string | { id: string } | null | undefined,
    param = 'id',
  ): Stored<K> {
    return this.require(object, (typeof ref === 'string' ? ref : ref?.id) ?? '', param);
  }

  /** Stripe answers 404 for a deleted object (the SDK types a deleted one apart, so this is not a field set). */
  markDeleted(obj: StripeObject): void {
    obj.deleted = true;
  }

  remove(id: string): void {
    const obj = this.byId.get(id);
    if (!obj) return;
    this.byId.delete(id);
    const list = this.byType.get(obj.object);
    if (list) list.splice(list.indexOf(obj), 1);
  }

  all<K extends ObjectName>(object: K): Stored<K>[];
  all(object: string): StripeObject[];
  all(object: string): StripeObject[] {
    return this.byType.get(object) ?? [];
  }

  nextInvoiceNumber(): number {
    return ++this.invoiceSeq;
  }

  /** Records an event Stripe would send for a state change (served by `/v1/events`). */
  emit(type: string, object: StripeObject, previousAttributes?: Record<string, unknown>): StripeObject {
    const data: Record<string, unknown> = { object: structuredClone(object) };
    if (previousAttributes) data.previous_attributes = previousAttributes;
    const req = this.request();
    const event = this.insert<StripeObject>({
      // Time-ordered ids, so events of the same second still sort in the order they happened.
      id: `evt_${Date.now().toString(36)}${(++eventSeq).toString(36).padStart(6, '0')}${newId('x', 10).slice(2)}`,
      object: 'event',
      created: this.now(),
      livemode: false,
      api_version: req.apiVersion,
      data,
      pending_webhooks: 0,
      request: { id: req.id, idempotency_key: req.idempotencyKey },
      type,
      ...(this.connected ? { account: this.accountId } : {}),
    });
    const events = this.byType.get('event')!;
    for (const old of trimArray(events, this.retainEvents)) this.byId.delete(old.id);
    this.onEvent(event, this);
    return event;
  }
}

/**
 * Stripe's list envelope with cursor pagination (newest first): `limit` 1–100 (default 10),
 * `starting_after` / `ending_before` take object ids from the same list.
 */
export function paginate(items: StripeObject[], params: Params, url: string): Record<string, unknown> {
  const limit = int(params, 'limit', { min: 1, max: 100 }) ?? 10;
  const startingAfter = str(params, 'starting_after');
  const endingBefore = str(params, 'ending_before');
  if (startingAfter && endingBefore) {
    throw invalid(
      'You may only specify one of these parameters: ending_before, starting_after.',
      'ending_before',
    );
  }
  const newestFirst = [...items].reverse();
  let data: StripeObject[];
  let hasMore: boolean;
  if (startingAfter) {
    const at = newestFirst.findIndex((o) => o.id === startingAfter);
    if (at < 0) throw invalid(`No such object: '${startingAfter}'`, 'starting_after', 'resource_missing');
    data = newestFirst.slice(at + 1, at + 1 + limit);
    hasMore = at + 1 + limit < newestFirst.length;
  } else if (endingBefore) {
    const at = newestFirst.findIndex((o) => o.id === endingBefore);
    if (at < 0) throw invalid(`No such object: '${endingBefore}'`, 'ending_before', 'resource_missing');
    const from = Math.max(0, at - limit);
    data = newestFirst.slice(from, at);
    hasMore = from > 0;
  } else {
    data = newestFirst.slice(0, limit);
    hasMore = newestFirst.length > limit;
  }
  return { object: 'list', data, has_more: hasMore, url };
}

/** Filters on `created[gt]`, `created[gte]`, `created[lt]`, `created[lte]` or an exact `created`. */
export function createdFilter(params: Params): (o: StripeObject) => boolean {
  const c = params.created;
  if (c === undefined) return () => true;
  if (typeof c === 'string') {
    const exact = int(params, 'created');
    return (o) => o.created === exact;
  }
  const range = c as Params;
  const gt = int(range, 'gt');
  const gte = int(range, 'gte');
  const lt = int(range, 'lt');
  const lte = int(range, 'lte');
  return (o) => {
    const t = o.created as number;
    return (
      (gt === undefined || t > gt) &&
      (gte === undefined || t >= gte) &&
      (lt === undefined || t < lt) &&
      (lte === undefined || t <= lte)
    );
  };
}

/**
 * Stripe's `expand[]`: each dotted path names a field holding an id, replaced by the object.
 * `data.x` expands inside list envelopes. Works on a deep copy; stored objects never change.
 */
export function expand(store: AccountStore, value: unknown, paths: string[]): unknown {
  const out = structuredClone(value);
  for (const path of paths) expandPath(store, out, path.split('.'), path);
  return out;
}

function expandPath(store: AccountStore, node: unknown, parts: string[], full: string): void {
  if (node === null || typeof node !== 'object') return;
  const [head, ...rest] = parts;
  if (head === undefined) return;
  const rec = node as Record<string, unknown>;
  if (!(head in rec)) {
    throw invalid(`This property cannot be expanded (${full}).`, 'expand');
  }
  let child = rec[head];
  if (typeof child === 'string') {
    const target = store.get(child);
    if (target) rec[head] = child = structuredClone(target);
  } else if (Array.isArray(child)) {
    // A list of ids (a subscription's `discounts`): each id that names an object becomes the object.
    rec[head] = child = child.map((c: unknown) => {
      const target = typeof c === 'string' ? store.get(c) : undefined;
      return target ? structuredClone(target) : c;
    });
  }
  if (rest.length === 0) return;
  if (Array.isArray(child)) for (const c of child) expandPath(store, c, rest, full);
  else expandPath(store, child, rest, full);
}
