import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Requests per minute per caller (rate-limiter-flexible: its store can move to the shared database
 * when several instances serve one deployment). Answers how long to wait, or null to go ahead.
 */
export class CallerRateLimit {
  private readonly limiter: RateLimiterMemory;

  constructor(readonly perMinute: number) {
    this.limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
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
