import { stripeOptions } from '../compose.js';
import type { Flags } from '../config/load.js';
import { openStore } from '../storage/open.js';
import { createStripeClient, isStripeError } from '../stripe/client.js';
import { describeStripeError, formatStripeFailure } from '../stripe/errors.js';
import { defaultSyncSince, EVENT_RETENTION_SECONDS, syncEvents } from '../webhooks/sync.js';
import { fail, loadConfigOrFail, parseSince } from './common.js';

/** `mcp-stripe events sync [--since 24h]`: fill the event log from Stripe's /v1/events. */
export async function runSync(flags: Flags, sinceArg: string | undefined): Promise<void> {
  const config = loadConfigOrFail(flags);
  if (config.sandbox)
    fail(['events sync reads a real Stripe account (or STRIPE_API_BASE); the --sandbox is fresh each run.']);
  const store = await openStore({ memory: false, dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  try {
    const nowS = Math.floor(Date.now() / 1000);
    let since: number;
    if (sinceArg === undefined) since = await defaultSyncSince(store.events, nowS);
    else {
      const d = parseSince(sinceArg);
      if (!d) fail([`--since must be a duration like 24h, 7d, 30m, or a date (got "${sinceArg}").`]);
      since = Math.max(nowS - EVENT_RETENTION_SECONDS, Math.floor(d.getTime() / 1000));
    }
    const stripe = await createStripeClient(stripeOptions(config));
    process.stderr.write(`syncing events created since ${new Date(since * 1000).toISOString()}\n`);
    const r = await syncEvents({
      stripe,
      events: store.events,
      since,
      onProgress: (p) =>
        process.stderr.write(`  ${p.seen} events read, ${p.stored} new, ${p.duplicates} already stored\n`),
    });
    process.stdout.write(
      `${JSON.stringify({ seen: r.seen, stored: r.stored, duplicates: r.duplicates, since: r.since })}\n`,
    );
  } catch (err) {
    if (isStripeError(err))
      fail([`Stripe refused the sync: ${formatStripeFailure(describeStripeError(err))}`]);
    throw err;
  } finally {
    await store.close();
  }
}
