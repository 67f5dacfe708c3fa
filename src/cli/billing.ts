import { Plans } from '../billing/plans.js';
import { BillingProjector } from '../billing/projector.js';
import { syncPlans } from '../billing/sync.js';
import { stripeOptions } from '../compose.js';
import type { Flags } from '../config/load.js';
import { createLogger } from '../log.js';
import { openStore } from '../storage/open.js';
import { createStripeClient, isStripeError, lazyStripeClient } from '../stripe/client.js';
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

/**
 * `mcp-stripe billing reconcile --plans=FILE`: every subscription at Stripe, stored in the data
 * directory as it is now (repairs state after downtime or a misconfigured webhook endpoint).
 */
export async function runBillingReconcile(flags: Flags): Promise<void> {
  const config = loadConfigOrFail(flags);
  if (!config.billing.plans) fail(['billing reconcile needs --plans=FILE (or MCP_STRIPE_PLANS).']);
  if (config.sandbox) fail(['billing reconcile reads a Stripe account: the --sandbox is fresh each run.']);
  const store = await openStore({ memory: false, dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  try {
    const projector = new BillingProjector({
      plans: new Plans(config.billing.plans),
      store: store.billing,
      stripe: lazyStripeClient(stripeOptions(config)),
      mode: config.keyMode,
      logger: createLogger(config.logLevel),
    });
    const r = await projector.reconcile((read) => process.stderr.write(`  ${read} subscriptions read\n`));
    process.stdout.write(`${JSON.stringify(r)}\n`);
    process.stderr.write(
      `${config.keyMode} mode: ${r.read} subscriptions read, ${r.stored} stored, ${r.skipped} skipped (no billing user, or already newer here).\n`,
    );
  } catch (err) {
    if (isStripeError(err))
      fail([`Stripe refused the reconcile: ${formatStripeFailure(describeStripeError(err))}`]);
    throw err;
  } finally {
    await store.close();
  }
}
