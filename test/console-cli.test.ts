import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import { firstPending, signIn } from './console-helpers.js';
import { callTool, cleanEnv, CLI } from './helpers.js';

/**
 * A local stdio setup as an operator runs it: the MCP server over stdio in one process, and
 * `mcp-stripe console` in another on the same data directory. The console decides the server's calls.
 */
const KEY = 'sk_test_consolecli0001';
let sandbox: RunningSandbox;
let dataDir: string;
let env: Record<string, string>;
let client: Client;
let hook: Server;
const notices: Record<string, unknown>[] = [];
const consoles: ChildProcess[] = [];

/** Starts `mcp-stripe console`; resolves with its sign-in link (printed to its stderr). */
function startConsole(): Promise<{ child: ChildProcess; link: string }> {
  const child = spawn(process.execPath, [CLI, 'console', '--port=0'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  consoles.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const link = /Sign in \(one-time link, valid 15 min\): (\S+)/.exec(err)?.[1];
      if (link) resolve({ child, link });
    });
    child.once('exit', (code) => reject(new Error(`console exited ${code}: ${err}`)));
  });
}

const stopped = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

beforeAll(async () => {
  sandbox = await startSandbox();
  dataDir = mkdtempSync(join(tmpdir(), 'mcp-stripe-console-cli-'));
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      notices.push(JSON.parse(body) as Record<string, unknown>);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  env = {
    ...cleanEnv(),
    STRIPE_SECRET_KEY: KEY,
    STRIPE_API_BASE: sandbox.url,
    MCP_STRIPE_DATA_DIR: dataDir,
    STRIPE_TOOLS: 'all',
    MCP_STRIPE_APPROVAL_WAIT: '120',
    MCP_STRIPE_NOTIFY_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/slack`,
  };
  client = await stdioClient();
}, 60_000);

async function stdioClient(): Promise<Client> {
  const c = new Client({ name: 'stdio-agent', version: '1.0.0' });
  await c.connect(
    new StdioClientTransport({
      command: process.execPath,
      // Over stdio the default is elicitation; this operator wants the console to decide.
      args: [CLI, '--confirm=money', '--confirm-channel=console'],
      env,
      stderr: 'ignore',
    }),
  );
  return c;
}
afterAll(async () => {
  await client?.close();
  await Promise.all(consoles.map(stopped));
  hook?.close();
  await sandbox?.close();
});

const payment = (amount: number) => ({
  amount,
  currency: 'usd',
  payment_method: 'pm_card_visa',
  confirm: true,
  description: `stdio order ${amount}`,
});

async function nextPending(link: string): Promise<{ op: Awaited<ReturnType<typeof signIn>>; id: string }> {
  const op = await signIn(link);
  return { op, id: await firstPending(op) };
}

describe('mcp-stripe console for a stdio server', () => {
  it("decides the stdio server's waiting call from another process, and the notice went out", async () => {
    const { link } = await startConsole();
    const call = callTool(client, 'create_payment_intent', payment(1234));
    const { op, id } = await nextPending(link);
    expect((await op.post(`/console/approvals/${id}/decision`, { decision: 'approve' })).status).toBe(303);
    const done = await call;
    expect(done.isError, done.text).toBe(false);
    expect(done.data).toMatchObject({ status: 'succeeded', amount: 1234 });
    // The --notify-url notice: Slack-compatible text, the call's facts, no link that decides.
    await vi.waitFor(() => expect(notices).toHaveLength(1), { timeout: 15_000 });
    expect(notices[0]!.text).toMatch(
      /create_payment_intent for 12\.34 USD is waiting for approval in http:\/\/127\.0\.0\.1:\d+\/console/,
    );
    expect(JSON.stringify(notices[0])).not.toMatch(/signin|token=|apr_/);
  });

  it('--print-link prints a fresh link; a restarted console still has the pending call, and denies it', async () => {
    const call = callTool(client, 'create_payment_intent', payment(5678));
    await Promise.all(consoles.map(stopped));
    const { link } = await startConsole();
    const printed = spawnSync(process.execPath, [CLI, 'console', '--print-link'], { env, encoding: 'utf8' });
    expect(printed.status, printed.stderr).toBe(0);
    const fresh = printed.stdout.trim();
    expect(fresh).not.toBe(link);
    const { op, id } = await nextPending(fresh);
    expect(await (await op.get('/console/approvals')).text()).toContain('56.78 USD');
    await op.post(`/console/approvals/${id}/decision`, { decision: 'deny', note: 'not today' });
    const declined = await call;
    expect(declined.isError).toBe(true);
    expect(declined.text).toMatch(/declined it \(via operator in the console\)/);
    expect(sandbox.state.platform.all('payment_intent').filter((p) => p.amount === 5678)).toHaveLength(0);
  });

  it('a restarted server keeps a decided approval: the repeated call runs once', async () => {
    const args = { ...payment(9100), description: 'across a restart' };
    const { link } = await startConsole();
    const asked = callTool(client, 'create_payment_intent', args);
    const { op, id } = await nextPending(link);
    // The server goes away while its call waits (the agent's app restarts it).
    await client.close();
    await asked.catch(() => undefined);
    await op.post(`/console/approvals/${id}/decision`, { decision: 'approve' });
    client = await stdioClient();
    const done = await callTool(client, 'create_payment_intent', args);
    expect(done.isError, done.text).toBe(false);
    expect(sandbox.state.platform.all('payment_intent').filter((p) => p.amount === 9100)).toHaveLength(1);
  });

  it('without a running console, --print-link says how to start one', async () => {
    await Promise.all(consoles.map(stopped));
    const r = spawnSync(process.execPath, [CLI, 'console', '--print-link'], { env, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no console is running');
    expect(r.stderr).toContain('mcp-stripe console');
  });
});
