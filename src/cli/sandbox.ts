import type { Flags } from '../config/load.js';
import { fail, optionsOrFail } from './common.js';

/** `mcp-stripe sandbox`: only the Stripe sandbox, for any Stripe SDK to point at. */
export async function runSandbox(flags: Flags): Promise<void> {
  // Flags only: MCP_STRIPE_PORT, PORT and the config file's server.port are the MCP server's.
  const { host, port, seed } = optionsOrFail({ ...flags, config: undefined }, ['host', 'port', 'seed'], {
    env: {},
    defaults: { port: 12111, seed: 'none' },
  });
  let sandbox;
  try {
    const { startSandbox } = await import('../sandbox/index.js');
    sandbox = await startSandbox({ host, port, seed: seed as 'demo' | 'none' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      fail([`port ${port} is already in use: pass --port=N.`]);
    throw err;
  }
  const s = sandbox.seeded;
  if (s)
    process.stderr.write(
      `Seeded a demo business: ${s.customers} customers, ${s.subscriptions} subscriptions, ${s.payments} payments (${s.declined} declined), ${s.refunds} refunds, ${s.disputes} disputes, ${s.payouts} payouts over ${Math.round((s.to - s.from) / 86_400)} days.\n`,
    );
  process.stderr.write(
    `Stripe sandbox listening on ${sandbox.url}\n` +
      `Point any Stripe SDK at it, e.g. STRIPE_API_BASE=${sandbox.url} with any key like sk_test_123456789.\n`,
  );
  const stop = () => void sandbox.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
