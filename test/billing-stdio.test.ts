// `--billing-user` over stdio: the built CLI on its sandbox, its own tools behind plans, one local user
// who pays; the upgrade link from the paywall leads through the sandbox's Checkout page and back.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, describe, expect, it } from 'vitest';
import { untilStatus } from './billing-helpers.js';
import { callTool, cleanEnv, CLI } from './helpers.js';

const PLANS = {
  product: 'Local Tools',
  plans: {
    free: { quotas: { calls_per_day: 2 } },
    hobby: { price: { amount: 500, currency: 'usd', interval: 'month' } },
  },
  tools: { '*': { plans: ['free', 'hobby'] } },
};

let client: Client | undefined;
afterAll(() => client?.close());

describe('billing over stdio', () => {
  it('every call is the --billing-user’s: their quota, their paywall link, their subscription', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-stripe-billing-stdio-'));
    const plans = join(dir, 'plans.json');
    writeFileSync(plans, JSON.stringify(PLANS));
    client = new Client({ name: 'stdio-payer', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [
          CLI,
          '--sandbox',
          `--plans=${plans}`,
          '--billing-user=dana',
          '--tools=all',
          `--data-dir=${dir}`,
        ],
        env: cleanEnv(),
        stderr: 'ignore',
      }),
    );
    expect((await callTool(client, 'billing_status')).data).toMatchObject({ user: 'dana', plan: 'free' });
    for (let i = 0; i < 2; i++)
      expect((await callTool(client, 'get_stripe_account_info')).isError).toBe(false);
    const over = await callTool(client, 'get_stripe_account_info');
    expect(over.result.structuredContent).toMatchObject({ error: 'quota_exceeded', upgrade_plan: 'hobby' });
    const link = /(http:\/\/127\.0\.0\.1:\d+\/billing\/upgrade\/[\w.-]+)/.exec(over.text)![1]!;

    const toCheckout = await fetch(link, { redirect: 'manual' });
    expect(toCheckout.status).toBe(303);
    const checkout = toCheckout.headers.get('location')!;
    expect(checkout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/checkout\/pay\/cs_/);
    const paid = await fetch(checkout, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ card: 'visa' }).toString(),
    });
    expect(paid.status).toBe(303);
    expect(await untilStatus(client, (s) => s.plan === 'hobby')).toMatchObject({
      user: 'dana',
      status: 'active',
    });
    expect((await callTool(client, 'get_stripe_account_info')).isError).toBe(false);
  });
});
