import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * Requests per minute per caller (rate-limiter-flexible). In the process by default; on a shared store
 * (Postgres) its counters are the store's, so N instances allow the limit once, not N times. Answers
 * how long to wait, or null to go ahead.
 */
export class CallerRateLimit {
  private readonly limiter: RateLimiterAbstract;

  constructor(
    readonly perMinute: number,
    shared?: (points: number, durationS: number) => RateLimiterAbstract,
  ) {
    this.limiter = shared?.(perMinute, 60) ?? new RateLimiterMemory({ points: perMinute, duration: 60 });
  }

  /** Counts one request; over the limit: the seconds until the caller may try again. */
  async take(caller: string): Promise<{ retryAfterSeconds: number } | null> {
    try {
      await this.limiter.consume(caller);
      return null;
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      return { retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
    }
  }
}
