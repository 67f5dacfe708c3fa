// A subscription's life, end to end: the paying user's customer lives on a sandbox test clock (made by
// the operator and tagged with the user's id, which the first checkout reuses), time moves with the
// clock, and every change reaches the server only as Stripe's webhooks, pages a person clicks (Checkout,
// the Portal), and tool calls through a real MCP client.
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openPortal,
  payThrough,
  portalAction,
  startBillingWorld,
  untilStatus,
  type BillingWorld,
} from './billing-helpers.js';
import { callTool, type Called } from './helpers.js';

const PLANS = {
  product: 'Clocked Tools',
  plans: {
    free: { quotas: { calls_per_day: 100 } },
    hobby: { price: { amount: 900, currency: 'usd', interval: 'month' } },
    pro: { price: { amount: 2900, currency: 'usd', interval: 'month' }, trial_days: 14 },
  },
  tools: { retrieve_balance: { plans: ['hobby', 'pro'] }, '*': { plans: ['free', 'hobby', 'pro'] } },
};
const DAY = 86_400;

let world: BillingWorld;
beforeAll(async () => {
  world = await startBillingWorld(PLANS);
});
afterAll(() => world?.close());

/** A user whose Stripe customer lives on a fresh test clock, as an operator testing renewals sets up. */
async function clockedUser(name: string) {
  const agent = await world.agentFor(name);
  const user = (await callTool(agent, 'billing_status')).data.user as string;
  const clock = await world.stripe.testHelpers.testClocks.create({
    frozen_time: Math.floor(Date.now() / 1000),
  });
  const customer = await world.stripe.customers.create({ test_clock: clock.id, metadata: { user_id: user } });
  const advance = async (days: number) => {
    const now = (await world.stripe.testHelpers.testClocks.retrieve(clock.id)).frozen_time;
    await world.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: now + days * DAY });
  };
  return { agent, user, customer, advance };
}

const portalLink = async (agent: Client) => (await callTool(agent, 'manage_billing')).data.url as string;
const paywalled = (r: Called) => (r.result.structuredContent as { error?: string } | undefined)?.error;

describe('a subscription through time', () => {
  it('trial → past the trial with a declining card → past_due → paywalled → card updated in the Portal → active', async () => {
    const { agent, customer, advance } = await clockedUser('trial-decline');
    const up = await callTool(agent, 'upgrade_plan', { plan: 'pro' });
    const paid = await payThrough(world.sandbox, up.data.url, 'declines-later');
    expect(paid.location).toContain('/billing/success');
    const trial = await untilStatus(agent, (s) => s.plan === 'pro');
    expect(trial).toMatchObject({ status: 'trialing' });
    expect(trial.trial_ends_at).not.toBeNull();
    // The first checkout reused the operator's tagged customer instead of making a second one.
    expect(await world.stack.runtime.store.billing.customerOf('test', trial.user)).toBe(customer.id);
    expect((await callTool(agent, 'retrieve_balance')).isError).toBe(false);

    await advance(15);
    const pastDue = await untilStatus(agent, (s) => s.status === 'past_due');
    expect(pastDue.plan).toBe('free');
    expect(pastDue.note).toContain('Update the card with manage_billing');
    const walled = await callTool(agent, 'retrieve_balance');
    expect(walled.isError).toBe(true);
    expect(paywalled(walled)).toBe('payment_required');

    const portal = await openPortal(world.sandbox, await portalLink(agent));
    expect(portal.text).toContain('Past due');
    const declined = await portalAction(portal.url, { action: 'card', card: 'declined' });
    expect(declined.status).toBe(400);
    expect(declined.text).toContain('The new card was declined');
    const updated = await portalAction(portal.url, { action: 'card', card: 'visa' });
    expect(updated.status).toBe(303);
    expect(updated.text).toContain('Your card is now Visa •••• 4242');

    expect(await untilStatus(agent, (s) => s.status === 'active')).toMatchObject({ plan: 'pro' });
    const ok = await callTool(agent, 'retrieve_balance');
    expect(ok.isError, ok.text).toBe(false);
    const invoices = await world.stripe.invoices.list({ customer: customer.id });
    expect(invoices.data.find((i) => i.billing_reason === 'subscription_cycle')).toMatchObject({
      status: 'paid',
      amount_paid: 2900,
    });
  });

  it('cancel at period end in the Portal → still entitled until the period ends → then the free plan', async () => {
    const { agent, advance } = await clockedUser('cancel-at-end');
    const up = await callTool(agent, 'upgrade_plan', { plan: 'hobby' });
    await payThrough(world.sandbox, up.data.url);
    await untilStatus(agent, (s) => s.plan === 'hobby' && s.status === 'active');

    const portal = await openPortal(world.sandbox, await portalLink(agent));
    const sub = /data-subscription="(sub_\w+)"/.exec(portal.text)![1]!;
    const canceled = await portalAction(portal.url, { action: 'cancel', subscription: sub });
    expect(canceled.text).toMatch(/Your plan ends on \d{4}-\d\d-\d\d\./);
    const ending = await untilStatus(agent, (s) => s.cancel_at_period_end === true);
    expect(ending).toMatchObject({ plan: 'hobby', status: 'active' });

    await advance(20);
    expect((await callTool(agent, 'retrieve_balance')).isError).toBe(false);
    await advance(15);
    expect(await untilStatus(agent, (s) => s.plan === 'free')).toMatchObject({ status: 'free' });
    expect(paywalled(await callTool(agent, 'retrieve_balance'))).toBe('payment_required');
  });

  it("Stripe's entitlement summary alone (no subscription webhooks) re-reads the customer's subscriptions", async () => {
    const { agent, customer } = await clockedUser('summary-only');
    await payThrough(world.sandbox, (await callTool(agent, 'upgrade_plan', { plan: 'hobby' })).data.url);
    await untilStatus(agent, (s) => s.plan === 'hobby');
    const { data: granted } = await world.stripe.entitlements.activeEntitlements.list({
      customer: customer.id,
    });
    expect(granted.map((e) => e.lookup_key)).toEqual(['clocked-tools:hobby']);

    const [endpoint] = (await world.stripe.webhookEndpoints.list()).data;
    await world.stripe.webhookEndpoints.update(endpoint!.id, {
      enabled_events: ['entitlements.active_entitlement_summary.updated'],
    });
    try {
      const sub = (await world.stripe.subscriptions.list({ customer: customer.id })).data[0]!;
      await world.stripe.subscriptions.cancel(sub.id);
      expect(await untilStatus(agent, (s) => s.plan === 'free')).toMatchObject({ status: 'free' });
    } finally {
      await world.stripe.webhookEndpoints.update(endpoint!.id, { enabled_events: ['*'] });
    }
  });

  it('an upgrade link for a subscriber opens the Portal on the confirm page, which switches the plan', async () => {
    const { agent } = await clockedUser('switcher');
    await payThrough(world.sandbox, (await callTool(agent, 'upgrade_plan', { plan: 'hobby' })).data.url);
    await untilStatus(agent, (s) => s.plan === 'hobby');
    const toPro = await callTool(agent, 'upgrade_plan', { plan: 'pro' });
    const confirm = await openPortal(world.sandbox, toPro.data.url);
    expect(confirm.text).toContain('Confirm your new plan');
    expect(confirm.text).toMatch(/To <strong>Clocked Tools Pro \(29\.00 USD per month\)/);
    const done = await portalAction(confirm.url, { action: 'confirm' });
    expect(done.location).toBe(`${world.stack.origin}/billing/return`);
    expect(await untilStatus(agent, (s) => s.plan === 'pro')).toMatchObject({ status: 'active' });
    expect(
      world.sandbox.state.platform.all('subscription').filter((s) => s.metadata?.user_id === 'key:switcher'),
    ).toHaveLength(1);
  });
});
