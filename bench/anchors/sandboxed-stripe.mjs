/* global process, URL */
// The agent toolkit's own Stripe SDK (17.x), pointed at the sandbox (see stripe-to-sandbox.mjs).
import Stripe from 'stripe';

const base = new URL(process.env.STRIPE_API_BASE);

export default class SandboxedStripe extends Stripe {
  constructor(key, config = {}) {
    super(key, {
      ...config,
      host: base.hostname,
      port: base.port,
      protocol: base.protocol.replace(':', ''),
      maxNetworkRetries: 0,
    });
  }
}
