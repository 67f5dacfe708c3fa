import type { EventLog, StoredEvent } from '../storage/ports.js';
import type { StripeClient } from '../stripe/client.js';
import { toStoredEvent } from './receiver.js';

/** Stripe keeps events for 30 days. */
export const EVENT_RETENTION_SECONDS = 30 * 86_400;

export interface SyncResult {
  seen: number;
  stored: number;
  duplicates: number;
  since: number;
}

/**
 * Pages Stripe's `/v1/events` from `since` (Unix seconds) and appends what the log lacks: the same
 * dedupe by event id as webhooks, so running it any number of times changes nothing twice.
 */
export async function syncEvents(opts: {
  stripe: StripeClient;
  events: EventLog;
  since: number;
  onProgress?: (r: SyncResult) => void;
  onStored?: (e: StoredEvent) => void;
  now?: () => number;
}): Promise<SyncResult> {
  const result: SyncResult = { seen: 0, stored: 0, duplicates: 0, since: opts.since };
  for await (const event of opts.stripe.events.list({ created: { gte: opts.since }, limit: 100 })) {
    const stored = toStoredEvent(
      event as unknown as Parameters<typeof toStoredEvent>[0],
      (opts.now ?? Date.now)(),
    );
    const outcome = await opts.events.append(stored);
    result.seen++;
    if (outcome === 'stored') {
      result.stored++;
      opts.onStored?.(stored);
    } else result.duplicates++;
    if (result.seen % 100 === 0) opts.onProgress?.(result);
  }
  opts.onProgress?.(result);
  return result;
}

/** Where a catch-up should start: a little before the newest stored event, within Stripe's 30 days. */
export async function defaultSyncSince(
  events: EventLog,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<number> {
  const newest = (await events.list({ limit: 1 })).events[0];
  const floor = nowSeconds - EVENT_RETENTION_SECONDS;
  return Math.max(floor, newest ? newest.created - 300 : nowSeconds - 86_400);
}
