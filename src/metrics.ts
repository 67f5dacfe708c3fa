// `GET /metrics`: what an operator graphs and alerts on, in Prometheus' text format through
// prom-client. Counters are this process's (sum them over instances); the gauges read from the store
// (outbox backlog, ledger usage) show the shared state, so every instance reports the same value
// (take max, not sum). Loaded only when something listens on HTTP.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from './log.js';
import type { Store } from './storage/ports.js';
import type { CallObservation, CallObserver } from './tools/runner.js';
import { VERSION } from './version.js';
import type { WebhookResult } from './webhooks/receiver.js';

const DAY_MS = 86_400_000;

export interface Metrics extends CallObserver {
  webhook(result: WebhookResult): void;
  /** The exposition text and its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}

export interface MetricsDeps {
  store: Store;
  mode: string;
  logger: Logger;
  now?: () => number;
}

export function createMetrics(deps: MetricsDeps): Metrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'mcp_stripe_info',
    help: 'This server: its version and Stripe mode (always 1)',
    labelNames: ['version', 'mode'],
    registers,
  }).set({ version: VERSION, mode: deps.mode }, 1);
  const calls = new Counter({
    name: 'mcp_stripe_tool_calls_total',
    help: 'Tool calls by tool and outcome (ok, error, refused, pending)',
    labelNames: ['tool', 'outcome'],
    registers,
  });
  const latency = new Histogram({
    name: 'mcp_stripe_tool_call_duration_seconds',
    help: 'Tool call duration, from the runner receiving it to its result (Stripe included)',
    labelNames: ['tool'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const stripeErrors = new Counter({
    name: 'mcp_stripe_stripe_errors_total',
    help: "Errors Stripe answered tool calls with, by Stripe's error type",
    labelNames: ['type'],
    registers,
  });
  const refusals = new Counter({
    name: 'mcp_stripe_refusals_total',
    help: 'Tool calls the runner refused, by refusal code (docs/security.md)',
    labelNames: ['code'],
    registers,
  });
  const webhooks = new Counter({
    name: 'mcp_stripe_webhook_events_total',
    help: 'Webhook deliveries by result: stored, duplicate (already stored), rejected (400), failed (500)',
    labelNames: ['result'],
    registers,
  });
  // Read at each scrape; a store that does not answer leaves the last value (and says so in the log).
  const read = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (error) {
      deps.logger.warn('metrics: the store did not answer', { metric: what, error });
    }
  };
  new Gauge({
    name: 'mcp_stripe_outbox_backlog',
    help: 'Meter events waiting to be sent to Stripe (shared by every instance on this store)',
    registers,
    async collect() {
      await read('outbox', async () => this.set(await deps.store.billing.meterBacklog()));
    },
  });
  new Gauge({
    name: 'mcp_stripe_ledger_used_minor_units',
    help: 'Money counted against the daily limit in the last 24 hours, in minor units, by ledger scope and currency',
    labelNames: ['scope', 'currency'],
    registers,
    async collect() {
      await read('ledger', async () => {
        const usage = await deps.store.ledger.usage((deps.now ?? Date.now)(), DAY_MS);
        this.reset();
        for (const u of usage) this.set({ scope: u.scope, currency: u.currency }, u.amount);
      });
    },
  });
  return {
    call(c: CallObservation) {
      calls.inc({ tool: c.tool, outcome: c.outcome });
      latency.observe({ tool: c.tool }, c.durationMs / 1000);
      if (c.refusal) refusals.inc({ code: c.refusal });
      if (c.stripeError) stripeErrors.inc({ type: c.stripeError });
    },
    webhook(result) {
      webhooks.inc({ result });
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
