/* global process, URL */
// A module hook for the agent-toolkit run (`node --import ./stripe-to-sandbox.mjs`): `registerPaidTool`
// constructs its own Stripe client with no way to set its host, so `stripe` resolves, for that package
// only, to the same SDK with the sandbox as its host (STRIPE_API_BASE). Nothing else changes: every
// request it makes is real HTTP to the sandbox, which counts it.
import { register } from 'node:module';

if (!process.env.STRIPE_API_BASE) throw new Error('STRIPE_API_BASE: the sandbox to send requests to');
register(
  `data:text/javascript,${encodeURIComponent(`
    export async function resolve(specifier, context, next) {
      if (specifier === 'stripe' && context.parentURL?.includes('/@stripe/agent-toolkit/'))
        return { url: ${JSON.stringify(new URL('./sandboxed-stripe.mjs', import.meta.url).href)}, shortCircuit: true };
      return next(specifier, context);
    }`)}`,
);
