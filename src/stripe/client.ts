import { AsyncLocalStorage } from 'node:async_hooks';
import type Stripe from 'stripe';
import { PRODUCT_NAME, VERSION } from '../version.js';
import { requestIdempotencyKey } from './idempotency.js';

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

/** How one write attempt (POST or DELETE) ended: done, a stored result replayed, refused by Stripe (4xx), or not known. */
export type WriteOutcome = 'ok' | 'replayed' | 'refused' | 'unknown';

/** What one tool call's Stripe requests looked like, captured below the SDK. */
export interface StripeCallRecord {
  attempts: number;
  requestIds: string[];
  /** Stripe answered with a stored response (`Idempotent-Replayed: true`). */
  replayed: boolean;
  /** Each write attempt's outcome, retries included. */
  writes: WriteOutcome[];
  /** The idempotency keys sent with writes, in order (retries of one request send one key). */
  keys: string[];
  /** Key each POST by the request itself when the caller gave no key (see `requestIdempotencyKey`). */
  deriveKeys: boolean;
}

const calls = new AsyncLocalStorage<StripeCallRecord>();

export function newCallRecord(deriveKeys: boolean): StripeCallRecord {
  return { attempts: 0, requestIds: [], replayed: false, writes: [], keys: [], deriveKeys };
}

/** Runs `fn`, recording every HTTP exchange the SDK makes on its behalf (retries included) into `record`. */
export function recordStripeCalls<T>(record: StripeCallRecord, fn: () => Promise<T>): Promise<T> {
  return calls.run(record, fn);
}

/** A write that ended without a definite answer from Stripe may have been done there. */
export function mayHaveWritten(record: StripeCallRecord): boolean {
  return record.writes.some((w) => w === 'ok' || w === 'unknown');
}

/**
 * Every write of this call was answered from Stripe's stored results: it moved nothing itself. (A
 * retry inside one call that replays an attempt whose answer was lost does not count: that attempt ran.)
 */
export function onlyReplayed(record: StripeCallRecord): boolean {
  return record.writes.includes('replayed') && !mayHaveWritten(record);
}

type MakeRequest = Stripe.HttpClient['makeRequest'];

/** The SDK's own Node HTTP client, observed: each response's request id, replay flag and write outcome. */
function observedHttpClient(Sdk: typeof Stripe): Stripe.HttpClient {
  const inner = Sdk.createNodeHttpClient();
  const observed = Object.create(inner) as Stripe.HttpClient;
  observed.makeRequest = async (...args: Parameters<MakeRequest>) => {
    const record = calls.getStore();
    if (!record) return inner.makeRequest(...args);
    record.attempts++;
    const [host, port, path, method, headers, body, protocol, timeout] = args;
    const write = method !== 'GET';
    let sent = headers;
    if (write) {
      const given = headers['Idempotency-Key'];
      // The SDK's own default is a random `stripe-node-retry-…` key: replace it with one derived from the request.
      if (
        record.deriveKeys &&
        method === 'POST' &&
        (!given || String(given).startsWith('stripe-node-retry-'))
      ) {
        sent = { ...headers, 'Idempotency-Key': requestIdempotencyKey(method, path, headers, body) };
      }
      const key = sent['Idempotency-Key'];
      if (key && !String(key).startsWith('stripe-node-retry-') && !record.keys.includes(String(key)))
        record.keys.push(String(key));
    }
    let response;
    try {
      response = await inner.makeRequest(host, port, path, method, sent, body, protocol, timeout);
    } catch (err) {
      if (write) record.writes.push('unknown');
      throw err;
    }
    const status = response.getStatusCode();
    const responseHeaders = response.getHeaders();
    const replayed = responseHeaders['idempotent-replayed'] === 'true';
    if (write)
      record.writes.push(replayed ? 'replayed' : status < 300 ? 'ok' : status < 500 ? 'refused' : 'unknown');
    const requestId = responseHeaders['request-id'];
    if (typeof requestId === 'string') record.requestIds.push(requestId);
    if (replayed) record.replayed = true;
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
