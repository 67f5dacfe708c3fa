import { createHmac, randomBytes } from 'node:crypto';
import { trimArray } from '../util/bounded.js';
import type { SandboxState } from './app.js';
import type { AccountStore, StripeObject } from './store.js';

export interface Delivery {
  eventId: string;
  endpointId: string;
  attempt: number;
  /** HTTP status, or 0 when the connection failed. */
  status: number;
}

/** `Stripe-Signature` as Stripe computes it: `t=<unix>,v1=<hex HMAC-SHA256 of "t.payload">`. */
export function signPayload(payload: string, secret: string, timestamp: number): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex')}`;
}

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}

/**
 * How deliveries reach endpoints, as Stripe does not promise: events held for `holdMs` and sent in
 * reverse or shuffled order, and each one sent twice. Set with the sandbox's options or, while it runs,
 * `POST /_sandbox/webhooks` (JSON).
 */
export interface DeliveryBehaviour {
  order?: 'as-created' | 'reverse' | 'shuffle';
  duplicate?: boolean;
  /** How long events are held to be reordered (default 100 ms). */
  holdMs?: number;
}

/**
 * Delivers every event to the webhook endpoints that want it, signed, retrying failed deliveries
 * (non-2xx or no connection) with the configured delays. Connect accounts' events go to endpoints
 * created with `connect=true`.
 */
export class WebhookDispatcher {
  readonly secrets = new Map<string, string>();
  readonly deliveries: Delivery[] = [];
  behaviour: DeliveryBehaviour = {};
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private held: (() => void)[] = [];
  private holdTimer?: NodeJS.Timeout;

  constructor(
    private readonly state: SandboxState,
    private readonly delays: number[] = [0, 250, 1000, 4000, 10000],
  ) {}

  dispatch(event: StripeObject, from: AccountStore): void {
    const endpoints = this.state.platform
      .all('webhook_endpoint')
      .filter((e) => e.deleted !== true && e.status === 'enabled')
      .filter((e) => (from === this.state.platform ? e.connect !== true : e.connect === true))
      .filter((e) => {
        const wanted = e.enabled_events as string[];
        return wanted.includes('*') || wanted.includes(event.type as string);
      });
    event.pending_webhooks = endpoints.length;
    const payload = JSON.stringify(event, null, 2);
    const copies = this.behaviour.duplicate ? 2 : 1;
    const send = () => {
      for (const endpoint of endpoints)
        for (let i = 0; i < copies; i++) this.attempt(event, endpoint, payload, 0);
    };
    const order = this.behaviour.order ?? 'as-created';
    if (order === 'as-created') return send();
    // Held, then sent in another order (the in-flight count covers them, so idle() waits).
    this.inFlight++;
    this.held.push(send);
    this.holdTimer ??= setTimeout(() => this.release(order), this.behaviour.holdMs ?? 100);
  }

  private release(order: 'reverse' | 'shuffle'): void {
    this.holdTimer = undefined;
    const batch = this.held.splice(0);
    if (order === 'reverse') batch.reverse();
    else
      for (let i = batch.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [batch[i], batch[j]] = [batch[j]!, batch[i]!];
      }
    for (const send of batch) send();
    this.inFlight -= batch.length;
    if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private attempt(event: StripeObject, endpoint: StripeObject, payload: string, n: number): void {
    this.inFlight++;
    setTimeout(() => {
      void this.send(endpoint, payload)
        .then((status) => {
          trimArray(this.deliveries, this.state.retain);
          this.deliveries.push({ eventId: event.id, endpointId: endpoint.id, attempt: n + 1, status });
          if (status >= 200 && status < 300)
            event.pending_webhooks = Math.max(0, (event.pending_webhooks as number) - 1);
          else if (n + 1 < this.delays.length) this.attempt(event, endpoint, payload, n + 1);
        })
        .finally(() => {
          if (--this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
        });
    }, this.delays[n] ?? 0);
  }

  private async send(endpoint: StripeObject, payload: string): Promise<number> {
    const secret = this.secrets.get(endpoint.id) ?? '';
    try {
      const res = await fetch(endpoint.url as string, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'stripe-signature': signPayload(payload, secret, this.state.clock.now()),
        },
        body: payload,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  }

  /** Resolves when no delivery is pending (for tests). */
  idle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }
}
