#!/usr/bin/env node
// The CLI: argv → a subcommand (one module each in cli/): the server, the sandbox, audit or events.
import { runAudit } from './cli/audit.js';
import { runBillingReconcile, runBillingSync } from './cli/billing.js';
import { fail, help, parse } from './cli/common.js';
import { runConsole } from './cli/console.js';
import { runSync } from './cli/events.js';
import { runGateway } from './cli/gateway.js';
import { runKeys } from './cli/keys.js';
import { runMigrate } from './cli/migrate.js';
import { runSandbox } from './cli/sandbox.js';
import { serve } from './cli/serve.js';
import { runUsersAdd } from './cli/users.js';
import { flagsFrom } from './config/options.js';
import { redactSecrets } from './log.js';
import { PRODUCT_NAME, VERSION } from './version.js';

async function main(): Promise<void> {
  const { values, positionals } = parse(process.argv.slice(2));
  if (values.help) {
    process.stdout.write(`${help()}\n`);
    return;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const [command, ...rest] = positionals;
  const isAudit = command === 'audit' && rest.length === 1 && (rest[0] === 'tail' || rest[0] === 'export');
  const isSync = command === 'events' && rest.length === 1 && rest[0] === 'sync';
  const keys = command === 'keys' ? (rest[0] as 'create' | 'list' | 'revoke' | undefined) : undefined;
  const isKeys =
    keys === 'create' || keys === 'list' ? rest.length === 1 : keys === 'revoke' && rest.length === 2;
  const isUsersAdd = command === 'users' && rest.length === 1 && rest[0] === 'add';
  const isBillingSync = command === 'billing' && rest.length === 1 && rest[0] === 'sync';
  const isReconcile = command === 'billing' && rest.length === 1 && rest[0] === 'reconcile';
  const single =
    command === 'sandbox' || command === 'console' || command === 'gateway' || command === 'migrate';
  if (
    !isAudit &&
    !isSync &&
    !isKeys &&
    !isUsersAdd &&
    !isBillingSync &&
    !isReconcile &&
    (rest.length > 0 || (command !== undefined && !single))
  ) {
    // Never echo a key: `mcp-stripe sk_test_…` (without --api-key=) is a common slip.
    const said = redactSecrets(positionals.join(' '));
    const hint =
      said !== positionals.join(' ') ? ' To pass a key, use --api-key=… or STRIPE_SECRET_KEY.' : '';
    fail([
      `unknown command "${said}" (commands: console, sandbox, audit tail, audit export, events sync, keys create, keys list, keys revoke ID, users add, billing sync, billing reconcile, gateway, migrate).${hint}`,
    ]);
  }

  const flags = flagsFrom(values);

  if (command === 'sandbox') return runSandbox(flags);
  if (command === 'console') return runConsole(flags, values['print-link'] === true);
  if (command === 'gateway') return runGateway(flags);
  if (command === 'migrate') return runMigrate(flags);
  if (isSync) return runSync(flags, values.since);
  if (isBillingSync) return runBillingSync(flags, values['dry-run'] === true);
  if (isReconcile) return runBillingReconcile(flags);
  if (isUsersAdd)
    return runUsersAdd(flags, {
      username: values.username,
      email: values.email,
      groups: values.groups,
      admin: values.admin,
    });
  if (isKeys)
    return runKeys(keys!, rest[1], flags, {
      name: values.name,
      scopes: values.scopes,
      tenant: values.tenant,
      expires: values.expires,
    });
  if (isAudit) return runAudit(rest[0] as 'tail' | 'export', flags, values.since, values.n);

  return serve(flags);
}

main().catch((err: unknown) => {
  process.stderr.write(`${PRODUCT_NAME}: fatal: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
