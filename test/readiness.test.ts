// GET /readyz: ready while the store answers; Stripe's reachability is reported, never a reason to fail.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/storage/sqlite/index.js';
import { startHttpStack } from './helpers.js';

describe('/readyz', () => {
  it('ready with Stripe unreachable (said so), not ready once the store stops answering', async () => {
    const store = createSqliteStore(join(mkdtempSync(join(tmpdir(), 'mcp-stripe-ready-')), 'store.db'));
    // Nothing listens on port 9 of this machine: "Stripe" does not answer.
    const stack = await startHttpStack({
      flags: { apiKey: 'sk_test_readiness000001' },
      env: { STRIPE_API_BASE: 'http://127.0.0.1:9', STRIPE_MAX_NETWORK_RETRIES: '0' },
      store,
    });
    try {
      const ready = await fetch(`${stack.origin}/readyz`);
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as Record<string, string>;
      expect(body).toMatchObject({ status: 'ready', store: 'ok' });
      expect(body.stripe).not.toBe('ok');
      await store.close();
      const down = await fetch(`${stack.origin}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({
        status: 'not ready',
        store: expect.stringMatching(/^not answering: /),
      });
    } finally {
      await stack.close();
    }
  });
});
