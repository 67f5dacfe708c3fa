import type { StripeClient } from '../stripe/client.js';
import { trimMap } from '../util/bounded.js';
import { isoDay } from '../util/dates.js';

/** At most this many list requests per analytics call: 100 objects each, 5,000 in all. */
export const MAX_PAGES = 50;
const PAGE = 100;

export interface Pages<T> {
  items: T[];
  /** Requests made. */
  requests: number;
  /** False when MAX_PAGES stopped the paging before the last page. */
  complete: boolean;
}

interface ListPage<T> {
  data: T[];
  has_more: boolean;
}

/** Who hears of the paging (a tool call's context): progress after each page, and cancellation. */
export interface PageWatcher {
  progress(progress: number, total?: number, message?: string): Promise<void>;
  signal?: AbortSignal;
}

/**
 * Pages one Stripe list, newest first, 100 at a time, up to MAX_PAGES requests, reporting progress
 * after each page. Stops early when the client cancels.
 */
export async function pageAll<T extends { id: string }>(
  fetch: (page: { limit: number; starting_after?: string }) => Promise<ListPage<T>>,
  watcher: PageWatcher,
  what: string,
): Promise<Pages<T>> {
  const items: T[] = [];
  let requests = 0;
  let after: string | undefined;
  for (;;) {
    watcher.signal?.throwIfAborted();
    const page = await fetch({ limit: PAGE, ...(after ? { starting_after: after } : {}) });
    requests++;
    items.push(...page.data);
    await watcher.progress(requests, undefined, `${items.length} ${what} read`);
    after = page.data.at(-1)?.id;
    if (!page.has_more || !after) return { items, requests, complete: true };
    if (requests >= MAX_PAGES) return { items, requests, complete: false };
  }
}

/** The oldest and newest `created` of what was read, as days. */
export function spanOf(items: { created: number }[]): string | null {
  if (items.length === 0) return null;
  const times = items.map((i) => i.created);
  return `${isoDay(Math.min(...times))} to ${isoDay(Math.max(...times))}`;
}

/** `usd, eur and jpy`. */
export function listWords(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)!}`;
}

/** What a result says it covered: `448 balance transactions, 2026-08-05 to 2026-12-03, usd and eur kept apart`. */
export function coverage(count: number, what: string, span: string, currencies: string[]): string {
  const kept =
    currencies.length > 1
      ? `, ${listWords(currencies)} kept apart`
      : currencies.length === 1
        ? `, ${currencies[0]!} only`
        : '';
  return `${count.toLocaleString('en-US')} ${what}, ${span}${kept}`;
}

interface Entry {
  at: number;
  ttl: number;
  value: unknown;
}

/**
 * Results per Stripe client (one account) and question. A closed period is kept for an hour (what
 * happened in it changes only by late refunds and disputes); one that includes now for a minute.
 */
const caches = new WeakMap<StripeClient, Map<string, Entry>>();
const MAX_ENTRIES = 200;

export async function cached<T>(
  client: StripeClient,
  key: string,
  open: boolean,
  refresh: boolean,
  compute: () => Promise<T>,
  now = Date.now(),
): Promise<{ value: T; cachedAt: number | null }> {
  let cache = caches.get(client);
  if (!cache) caches.set(client, (cache = new Map<string, Entry>()));
  const hit = cache.get(key);
  if (hit && !refresh && now - hit.at < hit.ttl) return { value: hit.value as T, cachedAt: hit.at };
  const value = await compute();
  cache.delete(key);
  cache.set(key, { at: now, ttl: open ? 60_000 : 3_600_000, value });
  trimMap(cache, MAX_ENTRIES);
  return { value, cachedAt: null };
}
