import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { PINNED_API_VERSION } from './client.js';

describe('the pinned API version', () => {
  it('is the installed SDK’s (update PINNED_API_VERSION in src/stripe/client.ts with the SDK)', () => {
    expect(PINNED_API_VERSION).toBe(Stripe.API_VERSION);
  });
});
