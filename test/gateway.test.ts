// The gateway in front of a small MCP server written for the tests (test/fixtures/upstream-server.mjs),
// over stdio and over HTTP: plans in the tool descriptions, the paywall and quotas, Checkout through
// the sandbox, resources and prompts forwarded, and an upstream that fails, hangs or crashes answered
// with an isError result, never a hang.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../src/auth/api-keys.js';
import { gatewayFactory, Upstream } from '../src/billing/gateway.js';
import { silentLogger } from '../src/log.js';
import {
  announcedUrl,
  callTool,
  cleanEnv,
  CLI,
  startHttpStack,
  type Called,
  type HttpStack,
} from './helpers.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'upstream-server.mjs');
const PLANS = {
  product: 'Fixture Tools',
  plans: {
    free: { quotas: { calls_per_day: 4 } },
    pro: { price: { amount: 2900, currency: 'usd', interval: 'month' } },
  },
  tools: { expensive_lookup: { plans: ['pro'] }, '*': { plans: ['free', 'pro'] } },
};
const plansPath = join(mkdtempSync(join(tmpdir(), 'mcp-stripe-gateway-')), 'plans.json');
writeFileSync(plansPath, JSON.stringify(PLANS));

const upstreams: Upstream[] = [];
const stacks: HttpStack[] = [];

/** A gateway (on the built-in sandbox, api-key callers) in front of `spec`. */
async function gateway(spec: { url?: string; command?: string }): Promise<HttpStack> {
  const stack = await startHttpStack({
    flags: { sandbox: true, plans: plansPath, auth: 'api-key', rateLimit: '0' },
    env: {},
    factory: (runtime) => {
      const upstream = new Upstream({ ...spec, timeoutMs: 3000 }, silentLogger);
      upstreams.push(upstream);
      return gatewayFactory({
        upstream,
        billing: runtime.billing!,
        audit: runtime.store.audit,
        logger: silentLogger,
      });
    },
  });
  await stack.runtime.connectSandboxWebhooks(stack.origin);
  stacks.push(stack);
  return stack;
}

async function agent(stack: HttpStack, name: string): Promise<Client> {
  const issued = await issueApiKey(stack.runtime.apiKeys, { name, scopes: ['stripe:read'] }, Date.now());
  if ('error' in issued) throw new Error(issued.error);
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(stack.http.url), {
      requestInit: { headers: { authorization: `Bearer ${issued.key}` } },
    }),
  );
  return client;
}

const meta = (r: Called) => r.result.structuredContent as Record<string, unknown> | undefined;
const used = async (c: Client) =>
  ((await callTool(c, 'billing_status')).data.quotas as { used: number }[])[0]!.used;

afterAll(async () => {
  for (const s of stacks) await s.close();
  for (const u of upstreams) await u.close();
});

describe('the gateway in front of an upstream over stdio', () => {
  let stack: HttpStack;
  let client: Client;
  beforeAll(async () => {
    stack = await gateway({ command: `"${process.execPath}" "${FIXTURE}"` });
    client = await agent(stack, 'uma');
  });
  afterAll(async () => client?.close());

  it("lists the upstream's tools with their plans, and the billing tools", async () => {
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get('echo')?.description).toBe('Echoes the text back.\n\nPlans: Free, Pro.');
    expect(byName.get('expensive_lookup')?.description).toBe('A costly lookup.\n\nPlans: Pro.');
    expect(byName.get('echo')?.inputSchema).toMatchObject({ properties: { text: { type: 'string' } } });
    for (const t of ['billing_status', 'upgrade_plan', 'manage_billing']) expect(byName.has(t)).toBe(true);
  });

  it('forwards calls, resources and prompts; a paid tool paywalls until the user pays at Checkout', async () => {
    const echo = await callTool(client, 'echo', { text: 'hi' });
    expect(echo.text).toMatch(/^echo: hi \(call \d+\)$/);
    expect(await used(client)).toBe(1);
    const readme = await client.readResource({ uri: 'docs://readme' });
    expect(readme.contents[0]).toMatchObject({ text: 'hello from upstream' });
    const prompt = await client.getPrompt({ name: 'greet', arguments: { name: 'Ada' } });
    expect(prompt.messages[0]?.content).toMatchObject({ text: 'Hello Ada' });

    const walled = await callTool(client, 'expensive_lookup', { q: 'x' });
    expect(meta(walled)).toMatchObject({ error: 'payment_required', plan: 'pro' });
    const link = /(http:\/\/127\.0\.0\.1:\d+\/billing\/upgrade\/[\w.-]+)/.exec(walled.text)![1]!;
    const checkout = (await fetch(link, { redirect: 'manual' })).headers.get('location')!;
    const paid = await fetch(checkout, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'card=visa',
    });
    expect(paid.status).toBe(303);
    // No success page: the sandbox's webhooks alone make it effective.
    for (;;) {
      if ((await callTool(client, 'billing_status')).data.plan === 'pro') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await callTool(client, 'expensive_lookup', { q: 'x' })).text).toBe('result for x');
    const audit = await stack.runtime.store.audit.query({ tool: 'expensive_lookup' });
    expect(audit.map((a) => a.outcome)).toEqual(['refused', 'ok']);
  });

  it("an upstream error is the user's result and gives the unit back; a hang and a crash are isError, not charged", async () => {
    const other = await agent(stack, 'vic');
    const failed = await callTool(other, 'fail');
    expect(failed.isError).toBe(true);
    expect(failed.text).toBe('upstream says no');
    expect(await used(other)).toBe(0);

    const hung = await callTool(other, 'hang');
    expect(hung.isError).toBe(true);
    expect(hung.text).toMatch(/The upstream server did not complete hang: .*Nothing was charged/);
    expect(await used(other)).toBe(0);

    const crashed = await callTool(other, 'crash');
    expect(crashed.isError).toBe(true);
    expect(crashed.text).toMatch(/did not complete crash/);
    // The next call starts the upstream again.
    expect((await callTool(other, 'echo', { text: 'back' })).text).toMatch(/^echo: back/);
    await other.close();
  });
});

describe('the gateway in front of an upstream over HTTP', () => {
  it('forwards calls; an upstream that went away is an isError result', async () => {
    const child = spawn(process.execPath, [FIXTURE, '--http'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const url = await new Promise<string>((resolve) =>
      child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())),
    );
    const stack = await gateway({ url });
    const client = await agent(stack, 'walt');
    expect((await callTool(client, 'echo', { text: 'over http' })).text).toMatch(/^echo: over http/);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const gone = await callTool(client, 'echo', { text: 'anyone?' });
    expect(gone.isError).toBe(true);
    expect(gone.text).toMatch(/did not complete echo/);
    expect(await used(client)).toBe(1);
    await client.close();
  });
});

describe('mcp-stripe gateway (the built CLI)', () => {
  it('starts on the sandbox in front of a stdio server and serves its tools with plans', async () => {
    const child = spawn(
      process.execPath,
      [
        CLI,
        'gateway',
        '--sandbox',
        '--port=0',
        `--plans=${plansPath}`,
        `--upstream-command="${process.execPath}" "${FIXTURE}"`,
      ],
      { env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    try {
      let banner = '';
      child.stderr.on('data', (d: Buffer) => (banner += d.toString()));
      const url = await announcedUrl(child);
      expect(banner).toContain('mcp-stripe gateway in front of');
      const client = new Client({ name: 'cli', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      const { tools } = await client.listTools();
      expect(tools.find((t) => t.name === 'echo')?.description).toContain('Plans: Free, Pro.');
      expect((await callTool(client, 'echo', { text: 'cli' })).text).toMatch(/^echo: cli/);
      await client.close();
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('refuses to start without an upstream, naming both flags', async () => {
    const child = spawn(process.execPath, [CLI, 'gateway', '--sandbox', `--plans=${plansPath}`], {
      env: cleanEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(err).toContain('--upstream=URL');
    expect(err).toContain('--upstream-command');
  });
});
