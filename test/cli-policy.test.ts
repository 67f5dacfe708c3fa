import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import { callTool, cleanEnv, CLI } from './helpers.js';

/** A key whose secret part must never appear anywhere a person or an agent can read. */
const SECRET = 'SeCrEtPaRt0123456789xyz';
const KEY = `sk_test_${SECRET}`;

let sandbox: RunningSandbox;
let dataDir: string;
beforeAll(async () => {
  sandbox = await startSandbox();
  dataDir = mkdtempSync(join(tmpdir(), 'mcp-stripe-cli-'));
});
afterAll(async () => {
  await sandbox.close();
});

async function serve(args: string[], run: (client: Client) => Promise<void>): Promise<string> {
  const env = {
    ...cleanEnv(),
    STRIPE_SECRET_KEY: KEY,
    STRIPE_API_BASE: sandbox.url,
    MCP_STRIPE_DATA_DIR: dataDir,
    STRIPE_TOOLS: 'all',
  };
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, ...args],
    env,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'cli-policy', version: '1.0.0' });
  await client.connect(transport);
  try {
    await run(client);
  } finally {
    await client.close();
  }
  return stderr;
}

describe('the CLI with a safety policy, a test key and a durable data directory', () => {
  const outputs: string[] = [];

  it('--daily-limit survives a restart of the process', async () => {
    const logs1 = await serve(['--daily-limit=usd:5000', '--log-level=debug'], async (client) => {
      const r = await callTool(client, 'create_payment_intent', {
        amount: 4000,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
      });
      outputs.push(JSON.stringify(r.result));
      expect(r.data.status).toBe('succeeded');
    });
    const logs2 = await serve(['--daily-limit=usd:5000', '--log-level=debug'], async (client) => {
      const r = await callTool(client, 'create_payment_intent', {
        amount: 1001,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
      });
      outputs.push(JSON.stringify(r.result));
      expect(r.isError).toBe(true);
      expect(r.text).toContain('40.00 USD has been used, 10.00 USD remains');
      const bad = await callTool(client, 'retrieve_customer', { customer: 'cus_nope' });
      outputs.push(JSON.stringify(bad.result));
      const acct = await client.readResource({ uri: 'stripe://account' });
      outputs.push(JSON.stringify(acct));
    });
    outputs.push(logs1, logs2);
    expect(logs1).toContain('"key":"sk_test_…');
  });

  it('--read-only lists no write tool', async () => {
    await serve(['--read-only'], async (client) => {
      const tools = (await client.listTools()).tools;
      expect(tools.length).toBeGreaterThan(10);
      expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
    });
  });

  it('--confirm=money over stdio without elicitation refuses money-moving calls and says how to enable confirmation', async () => {
    await serve(['--confirm=money'], async (client) => {
      const r = await callTool(client, 'create_payment_intent', {
        amount: 500,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
      });
      expect(r.isError).toBe(true);
      expect(r.text).toContain('--confirm-channel=console');
    });
  });

  it('audit tail and audit export read what the server recorded', () => {
    const tail = spawnSync(process.execPath, [CLI, 'audit', 'tail', '-n', '3', `--data-dir=${dataDir}`], {
      encoding: 'utf8',
      env: cleanEnv(),
    });
    expect(tail.status).toBe(0);
    const lines = tail.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.join('\n')).toMatch(/create_payment_intent denied refused/);
    const exported = spawnSync(
      process.execPath,
      [CLI, 'audit', 'export', '--since=1h', `--data-dir=${dataDir}`],
      { encoding: 'utf8', env: cleanEnv() },
    );
    expect(exported.status).toBe(0);
    const records = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { tool: string; outcome: string; requestIds: string[] });
    expect(records.length).toBeGreaterThanOrEqual(4);
    expect(records[0]).toMatchObject({ tool: 'create_payment_intent', outcome: 'ok' });
    expect(records[0]!.requestIds[0]).toMatch(/^req_/);
    outputs.push(tail.stdout, exported.stdout);
    const none = spawnSync(
      process.execPath,
      [CLI, 'audit', 'export', '--since=later', `--data-dir=${dataDir}`],
      { encoding: 'utf8', env: cleanEnv() },
    );
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('--since must be a duration like 24h');
  });

  it('a live key is refused at start-up without --allow-live, naming the flag and never the key', () => {
    const r = spawnSync(process.execPath, [CLI], {
      encoding: 'utf8',
      env: { ...cleanEnv(), STRIPE_SECRET_KEY: `sk_live_${SECRET}` },
      input: '',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--allow-live');
    outputs.push(r.stderr, r.stdout);
  });

  it('secret scan: the key appears in no tool result, resource, log line, audit record or error', () => {
    expect(outputs.length).toBeGreaterThanOrEqual(7);
    for (const text of outputs) expect(text).not.toContain(SECRET);
  });
});
