// `mcp-stripe billing sync`: the plans file made real at the sandbox with the real SDK, idempotently.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Plans } from '../src/billing/plans.js';
import { syncPlans } from '../src/billing/sync.js';
import { loadPlansFile, type PlansFile } from '../src/config/plans.js';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import { cleanEnv, CLI, TEST_KEY, sandboxStripe } from './helpers.js';

export const EXAMPLE_PLANS = {
  product: 'Acme Search',
  plans: {
    free: { quotas: { calls_per_day: 100 } },
    hobby: { price: { amount: 900, currency: 'usd', interval: 'month' }, quotas: { calls_per_day: 1000 } },
    pro: {
      price: { amount: 2900, currency: 'usd', interval: 'month' },
      trial_days: 14,
      quotas: { calls_per_month: 50000 },
      overage: { meter: 'tool_calls', unit_amount_decimal: '0.2' },
    },
    team: { price: { amount: 9900, currency: 'usd', interval: 'month' } },
  },
  tools: {
    expensive_lookup: { plans: ['pro', 'team'], units: 5 },
    '*': { plans: ['free', 'hobby', 'pro', 'team'] },
  },
  entitled_statuses: ['active', 'trialing'],
  grace_period_days: 0,
};

const parse = (json: unknown): PlansFile => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-stripe-plans-'));
  writeFileSync(join(dir, 'plans.json'), JSON.stringify(json));
  const loaded = loadPlansFile(join(dir, 'plans.json'));
  if ('problems' in loaded) throw new Error(loaded.problems.join('\n'));
  return loaded.plans;
};

describe('the plans file', () => {
  it('is validated with messages that name the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-stripe-plans-'));
    const path = join(dir, 'plans.json');
    writeFileSync(
      path,
      JSON.stringify({
        ...EXAMPLE_PLANS,
        plans: {
          ...EXAMPLE_PLANS.plans,
          hobby: { price: { amount: -5, currency: 'USD', interval: 'fortnight' } },
          extra: {},
        },
        tools: { lookup: { plans: ['gold'] } },
      }),
    );
    const loaded = loadPlansFile(path);
    expect('problems' in loaded).toBe(true);
    const problems = (loaded as { problems: string[] }).problems.join('\n');
    expect(problems).toContain('plans.hobby.price.amount: a price amount is in minor units');
    expect(problems).toContain('plans.hobby.price.currency: a three-letter lowercase ISO currency code');
    expect(problems).toContain('plans.hobby.price.interval');
    writeFileSync(path, JSON.stringify({ ...EXAMPLE_PLANS, tools: { lookup: { plans: ['gold'] } } }));
    expect((loadPlansFile(path) as { problems: string[] }).problems).toEqual([
      `--plans=${path}: tools.lookup.plans.0: "gold" is not a plan in this file (plans: free, hobby, pro, team).`,
    ]);
    writeFileSync(path, '{ not json');
    expect((loadPlansFile(path) as { problems: string[] }).problems[0]).toMatch(/is not valid JSON/);
  });

  it('reads the rules: a tool of its own, else *; the defaults for statuses and grace', () => {
    const plans = new Plans(parse({ ...EXAMPLE_PLANS, entitled_statuses: undefined }));
    expect(plans.ruleFor('expensive_lookup')).toMatchObject({ units: 5 });
    expect(plans.ruleFor('expensive_lookup')!.plans.map((p) => p.key)).toEqual(['pro', 'team']);
    expect(plans.ruleFor('anything_else')!.plans.map((p) => p.key)).toEqual(['free', 'hobby', 'pro', 'team']);
    expect(plans.file.entitled_statuses).toEqual(['active', 'trialing']);
    expect(plans.free?.key).toBe('free');
    expect(plans.byKey.get('pro')!.lookupKey).toBe('acme-search:pro');
  });
});

describe('billing sync against the sandbox', () => {
  let sandbox: RunningSandbox;
  let stripe: Stripe;
  beforeAll(async () => {
    sandbox = await startSandbox();
    stripe = await sandboxStripe(sandbox);
  });
  afterAll(async () => sandbox?.close());

  it('a dry run writes nothing; the first run makes products, prices, the meter and the portal; the second changes nothing', async () => {
    const plans = new Plans(parse(EXAMPLE_PLANS));
    const dry = await syncPlans(stripe, plans, { dryRun: true });
    expect(dry.changes.filter((c) => c.action === 'create').length).toBeGreaterThanOrEqual(8);
    expect(sandbox.state.requestLog.filter((r) => r.method === 'POST')).toHaveLength(0);

    const first = await syncPlans(stripe, plans, { dryRun: false });
    expect(first.changes.map((c) => `${c.action} ${c.what}`)).toEqual(
      expect.arrayContaining([
        'create product acme-search-hobby',
        'create price acme-search:hobby',
        'create product acme-search-pro',
        'create meter tool_calls',
        'create price acme-search:pro:overage',
        'create product acme-search-team',
        'create feature acme-search:team',
        'create portal configuration',
      ]),
    );
    // Each paid plan is an Entitlements feature its product grants.
    const granted = await stripe.products.listFeatures('acme-search-pro');
    expect(granted.data.map((pf) => pf.entitlement_feature.lookup_key)).toEqual(['acme-search:pro']);
    const pro = (await stripe.prices.list({ lookup_keys: ['acme-search:pro'], expand: ['data.product'] }))
      .data[0]!;
    expect(pro).toMatchObject({ unit_amount: 2900, currency: 'usd', recurring: { interval: 'month' } });
    expect((pro.product as Stripe.Product).default_price).toBe(pro.id);
    const overage = (await stripe.prices.list({ lookup_keys: ['acme-search:pro:overage'] })).data[0]!;
    expect(overage.recurring).toMatchObject({ usage_type: 'metered' });
    const portal = await stripe.billingPortal.configurations.retrieve(first.portalConfiguration!);
    expect(portal.features.subscription_cancel).toMatchObject({ enabled: true, mode: 'at_period_end' });
    expect(portal.features.subscription_update.products?.map((p) => p.product)).toEqual([
      'acme-search-hobby',
      'acme-search-pro',
      'acme-search-team',
    ]);
    expect(portal.features.payment_method_update.enabled).toBe(true);
    expect(portal.features.invoice_history.enabled).toBe(true);

    const writes = sandbox.state.requestLog.filter((r) => r.method === 'POST').length;
    const second = await syncPlans(stripe, plans, { dryRun: false });
    expect(second.changes.every((c) => c.action === 'unchanged')).toBe(true);
    expect(sandbox.state.requestLog.filter((r) => r.method === 'POST').length).toBe(writes);
  });

  it('a changed amount makes a new price, moves the lookup key to it and archives the old one', async () => {
    const before = (await stripe.prices.list({ lookup_keys: ['acme-search:hobby'] })).data[0]!;
    const changed = structuredClone(EXAMPLE_PLANS);
    changed.plans.hobby.price.amount = 1200;
    const r = await syncPlans(stripe, new Plans(parse(changed)), { dryRun: false });
    expect(r.changes).toContainEqual(
      expect.objectContaining({ action: 'archive', what: `price ${before.id}` }),
    );
    const after = (await stripe.prices.list({ lookup_keys: ['acme-search:hobby'] })).data[0]!;
    expect(after.id).not.toBe(before.id);
    expect(after.unit_amount).toBe(1200);
    const old = await stripe.prices.retrieve(before.id);
    expect(old).toMatchObject({ active: false, lookup_key: null });
    expect((await stripe.products.retrieve('acme-search-hobby')).default_price).toBe(after.id);
    // The portal offers the new price now.
    const portal = r.changes.find((c) => c.what === 'portal configuration')!;
    expect(portal.action).toBe('update');
  });

  it('mcp-stripe billing sync prints what it changed (and, with --dry-run, what it would)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-stripe-plans-'));
    const path = join(dir, 'plans.json');
    const plans = structuredClone(EXAMPLE_PLANS);
    plans.product = 'Widgets';
    writeFileSync(path, JSON.stringify(plans));
    const env = { ...cleanEnv(), STRIPE_SECRET_KEY: TEST_KEY, STRIPE_API_BASE: sandbox.url };
    // Not spawnSync: the sandbox answering the CLI runs in this process.
    const cli = (...args: string[]) =>
      new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [CLI, 'billing', 'sync', ...args], { env }, (err, stdout, stderr) =>
          resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
    const dry = await cli(`--plans=${path}`, '--dry-run');
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('would create   price widgets:pro: 2900 usd per month');
    expect(dry.stderr).toContain('dry run: nothing was written');
    const run = await cli(`--plans=${path}`);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('create         product widgets-pro: Widgets Pro');
    expect((await cli(`--plans=${path}`)).stderr).toContain('nothing to change');
    const bad = await cli(`--plans=${join(dir, 'missing.json')}`);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('missing.json: no such file');
  });
});
