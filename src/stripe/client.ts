import { AsyncLocalStorage } from 'node:async_hooks';
import type Stripe from 'stripe';
import { PRODUCT_NAME, VERSION } from '../version.js';

export type StripeClient = Stripe;

/**
 * The API version the installed `stripe` SDK is pinned to (`Stripe.API_VERSION`; a test keeps the
 * two equal). Written out so that reading the default does not load the SDK.
 */
export const PINNED_API_VERSION = '2026-10-28.endive';

let sdk: typeof Stripe | undefined;

/**
 * The `stripe` SDK, loaded on first use: answering `initialize` does not need it, and loading it
 * (with the https and tls built-ins it brings) costs about a tenth of start-up.
 */
export async function loadStripeSdk(): Promise<typeof Stripe> {
  return (sdk ??= (await import('stripe')).default);
}

export interface StripeClientOptions {
  apiKey: string;
  apiVersion: string;
  timeoutMs: number;
  maxNetworkRetries: number;
  /** Origin of a Stripe-compatible API (the sandbox, a proxy); undefined means api.stripe.com. */
  apiBase?: string;
  /** Connect: sent as `Stripe-Account` on every request. */
  stripeAccount?: string;
}

/** What one tool call's Stripe requests looked like, captured below the SDK. */
export interface StripeCallRecord {
  attempts: number;
  requestIds: string[];
  /** Stripe answered with a stored response (`Idempotent-Replayed: true`). */
  replayed: boolean;
}

const calls = new AsyncLocalStorage<StripeCallRecord>();

/** Runs `fn`, recording every HTTP exchange the SDK makes on its behalf (retries included). */
export async function recordStripeCalls<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; record: StripeCallRecord }> {
  const record: StripeCallRecord = { attempts: 0, requestIds: [], replayed: false };
  const value = await calls.run(record, fn);
  return { value, record };
}

/** The SDK's own Node HTTP client, observed: each response's request id and replay flag. */
function observedHttpClient(Sdk: typeof Stripe): Stripe.HttpClient {
  const inner = Sdk.createNodeHttpClient();
  const observed = Object.create(inner) as Stripe.HttpClient;
  observed.makeRequest = async (...args: Parameters<Stripe.HttpClient['makeRequest']>) => {
    const record = calls.getStore();
    if (record) record.attempts++;
    const response = await inner.makeRequest(...args);
    if (record) {
      const headers = response.getHeaders();
      const requestId = headers['request-id'];
      if (typeof requestId === 'string') record.requestIds.push(requestId);
      if (headers['idempotent-replayed'] === 'true') record.replayed = true;
    }
    return response;
  };
  return observed;
}

export async function createStripeClient(opts: StripeClientOptions): Promise<Stripe> {
  const Sdk = await loadStripeSdk();
  const base = opts.apiBase ? new URL(opts.apiBase) : undefined;
  return new Sdk(opts.apiKey, {
    apiVersion: opts.apiVersion as Stripe.LatestApiVersion,
    maxNetworkRetries: opts.maxNetworkRetries,
    timeout: opts.timeoutMs,
    telemetry: false,
    httpClient: observedHttpClient(Sdk),
    appInfo: { name: PRODUCT_NAME, version: VERSION, url: 'https://www.npmjs.com/package/mcp-stripe' },
    ...(opts.stripeAccount ? { stripeAccount: opts.stripeAccount } : {}),
    ...(base
      ? {
          host: base.hostname,
          port: base.port || (base.protocol === 'https:' ? 443 : 80),
          protocol: base.protocol.replace(':', '') as 'http' | 'https',
        }
      : {}),
  });
}

/** The client, made (and the SDK loaded) by the first call that needs it. */
export type LazyStripeClient = () => Promise<Stripe>;

export function lazyStripeClient(opts: StripeClientOptions): LazyStripeClient {
  let client: Promise<Stripe> | undefined;
  return () => (client ??= createStripeClient(opts));
}

/** Only the SDK makes Stripe errors, so before it has loaded nothing is one. */
export function isStripeError(err: unknown): err is Stripe.errors.StripeError {
  return sdk !== undefined && err instanceof sdk.errors.StripeError;
}
