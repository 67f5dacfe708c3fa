import type { Logger } from '../log.js';
import type { EventLog, StoredEvent } from '../storage/ports.js';
import { verifyWebhook } from '../stripe/webhooks.js';

export const MAX_WEBHOOK_BYTES = 1024 * 1024;

export interface WebhookDeps {
  /** Mutable: the sandbox's secret is added once its endpoint is registered. */
  secrets: string[];
  toleranceSeconds: number;
  events: EventLog;
  logger: Logger;
  /** Called after an event is stored for the first time (wakes `wait_for_event`). */
  onStored?: (event: StoredEvent) => void;
  /** Told how each delivery ended (the `/metrics` counters). */
  observer?: { webhook(result: WebhookResult): void };
  now?: () => number;
}

/** `rejected`: bad signature or not an event (400); `failed`: the store refused it (500). */
export type WebhookResult = 'stored' | 'duplicate' | 'rejected' | 'failed';

export interface WebhookResponse {
  status: number;
  body: Record<string, unknown>;
}

/**
 * raw body → verify → EventLog.append (dedupe by event id) → 2xx. Every event type is accepted;
 * a bad signature is 400 and stores nothing; a storage failure is 500, so Stripe delivers again.
 */
export async function receiveWebhook(
  raw: Buffer,
  signature: string | undefined,
  deps: WebhookDeps,
): Promise<WebhookResponse> {
  if (raw.length > MAX_WEBHOOK_BYTES)
    return { status: 413, body: { error: `body larger than ${MAX_WEBHOOK_BYTES} bytes` } };
  const verified = await verifyWebhook(raw, signature, deps.secrets, deps.toleranceSeconds);
  if (!verified.ok) {
    deps.logger.warn('webhook rejected', { reason: verified.reason });
    deps.observer?.webhook('rejected');
    return { status: 400, body: { error: verified.reason } };
  }
  const notEvent = whyNotAnEvent(verified.event);
  if (notEvent) {
    // Correctly signed, but not an event: a 4xx, so Stripe does not redeliver it for days.
    deps.logger.warn('webhook rejected', { reason: notEvent });
    deps.observer?.webhook('rejected');
    return { status: 400, body: { error: `the signed body is not a Stripe event: ${notEvent}` } };
  }
  const event = verified.event as unknown as Record<string, unknown> & {
    id: string;
    type: string;
    created: number;
  };
  const stored = { ...toStoredEvent(event, (deps.now ?? Date.now)()), payloadText: raw.toString('utf8') };
  let outcome: 'stored' | 'duplicate';
  try {
    outcome = await deps.events.append(stored);
  } catch (error) {
    deps.logger.error('webhook event could not be stored; Stripe will deliver it again', {
      event: event.id,
      error,
    });
    deps.observer?.webhook('failed');
    return { status: 500, body: { error: 'could not store the event; retry later' } };
  }
  deps.observer?.webhook(outcome);
  if (outcome === 'stored') deps.onStored?.(stored);
  deps.logger.debug('webhook received', { event: event.id, type: event.type, outcome });
  return { status: 200, body: { received: true, ...(outcome === 'duplicate' ? { duplicate: true } : {}) } };
}

/** Why a parsed body is not a Stripe event, or undefined when it is one. */
export function whyNotAnEvent(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'not a JSON object';
  const e = body as Record<string, unknown>;
  if (typeof e.id !== 'string' || !e.id) return '"id" is not a string';
  if (typeof e.type !== 'string' || !e.type) return '"type" is not a string';
  if (typeof e.created !== 'number' || !Number.isFinite(e.created)) return '"created" is not a number';
  return undefined;
}

/**
 * The event-log row for a Stripe event (from a webhook or from `/v1/events`). For ordering, an event
 * stamped after it arrived counts as created just before its arrival: it cannot pin an object's state
 * against the events that arrive after it.
 */
export function toStoredEvent(
  event: Record<string, unknown> & { id: string; type: string; created: number },
  receivedAt: number,
): StoredEvent {
  const object = (event.data as { object?: { id?: unknown; object?: unknown } } | undefined)?.object;
  return {
    id: event.id,
    type: event.type,
    apiVersion: typeof event.api_version === 'string' ? event.api_version : null,
    livemode: event.livemode === true,
    account: typeof event.account === 'string' ? event.account : null,
    objectType: typeof object?.object === 'string' ? object.object : null,
    objectId: typeof object?.id === 'string' ? object.id : null,
    created: Math.min(event.created, Math.floor(receivedAt / 1000) - 1),
    receivedAt,
    payload: event,
  };
}
