import { describe, expect, it } from 'vitest';
import { CallerRateLimit } from './rate-limit.js';

describe('CallerRateLimit', () => {
  it('lets each caller make N requests a minute, then says how long to wait; callers are counted apart', async () => {
    const limit = new CallerRateLimit(3);
    for (let i = 0; i < 3; i++) expect(await limit.take('key:a')).toBeNull();
    const over = await limit.take('key:a');
    expect(over?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(over?.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(await limit.take('key:b')).toBeNull();
  });
});
