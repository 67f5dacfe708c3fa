import { Plans } from '../billing/plans.js';
import { syncPlans } from '../billing/sync.js';
import { stripeOptions } from '../compose.js';
import type { Flags } from '../config/load.js';
import { createStripeClient, isStripeError } from '../stripe/client.js';
import { describeStripeError, formatStripeFailure } from '../stripe/errors.js';
import { fail, loadConfigOrFail } from './common.js';

/**
 * `mcp-stripe billing sync --plans=FILE [--dry-run]`: the plans at Stripe (products, prices by lookup
 * key, the overage meter, the portal configuration). Prints one line per object: what changed, or that
 * nothing did.
 */
export async function runBillingSync(flags: Flags, dryRun: boolean): Promise<void> {
  const config = loadConfigOrFail(flags);
  if (!config.billing.plans)
    fail(['billing sync needs --plans=FILE (or MCP_STRIPE_PLANS): the plans to make at Stripe.']);
  if (config.sandbox)
    fail([
      'billing sync writes to a Stripe account: the --sandbox is fresh each run. Run `mcp-stripe sandbox` and point STRIPE_API_BASE at it, or use a test key.',
    ]);
  const plans = new Plans(config.billing.plans);
  try {
    const stripe = await createStripeClient(stripeOptions(config));
    const result = await syncPlans(stripe, plans, { dryRun });
    for (const c of result.changes)
      process.stdout.write(
        `${(dryRun && c.action !== 'unchanged' ? `would ${c.action}` : c.action).padEnd(14)} ${c.what}: ${c.detail}\n`,
      );
    const changed = result.changes.filter((c) => c.action !== 'unchanged').length;
    process.stderr.write(
      `${config.keyMode} mode: ${changed === 0 ? 'nothing to change' : `${changed} change${changed === 1 ? '' : 's'}${dryRun ? ' to make (dry run: nothing was written)' : ''}`}.\n`,
    );
  } catch (err) {
    if (isStripeError(err))
      fail([`Stripe refused the sync: ${formatStripeFailure(describeStripeError(err))}`]);
    throw err;
  }
}
