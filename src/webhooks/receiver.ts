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
  now?: () => number;
}

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
    return { status: 400, body: { error: verified.reason } };
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
    return { status: 500, body: { error: 'could not store the event; retry later' } };
  }
  if (outcome === 'stored') deps.onStored?.(stored);
  deps.logger.debug('webhook received', { event: event.id, type: event.type, outcome });
  return { status: 200, body: { received: true, ...(outcome === 'duplicate' ? { duplicate: true } : {}) } };
}

/** The event-log row for a Stripe event (from a webhook or from `/v1/events`). */
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
    created: event.created,
    receivedAt,
    payload: event,
  };
}
