import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe, expect, it } from 'vitest';
import { announcedUrl, callTool, cleanEnv, CLI, TEST_KEY } from './helpers.js';

/** The MCP URL an HTTP server prints once it is ready (its banner ends with "Press Ctrl+C to stop."). */
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [CLI, ...args], {
    env: { ...cleanEnv(), ...env },
    encoding: 'utf8',
    timeout: 15_000,
    input: '',
  });

describe('mcp-stripe over stdio (spawned CLI)', () => {
  it('--sandbox: a real client lists tools and creates a payment; stdout carries only protocol', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, '--sandbox', '--tools=all'],
      env: cleanEnv(),
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      expect(client.getServerVersion()?.name).toBe('mcp-stripe');
      expect((await client.listTools()).tools.length).toBeGreaterThanOrEqual(36);
      const pi = await callTool(client, 'create_payment_intent', {
        amount: 1500,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
      });
      expect(pi.data.status).toBe('succeeded');
      const declined = await callTool(client, 'create_payment_intent', {
        amount: 1500,
        currency: 'usd',
        payment_method: 'pm_card_chargeDeclined',
        confirm: true,
      });
      expect(declined.isError).toBe(true);
    } finally {
      await client.close();
    }
    // Logs are structured JSON lines on stderr.
    const lines = stderr.trim().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(() => JSON.parse(l) as unknown).not.toThrow();
    expect(stderr).toContain('"mode":"sandbox"');
  });

  it('--tools limits what is listed', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, '--sandbox', '--tools=list_customers,create_customer'],
      env: cleanEnv(),
      stderr: 'pipe',
    });
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual([
        'create_customer',
        'list_customers',
      ]);
    } finally {
      await client.close();
    }
  });
});

describe('stdin that is not MCP', () => {
  it('a JSON line that is not JSON-RPC is skipped with one short log line; the session goes on', async () => {
    const child = spawn(process.execPath, [CLI, '--sandbox'], { env: cleanEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.write('{"foo":1}\n');
    child.stdin.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } })}\n`,
    );
    await expect.poll(() => stdout, { timeout: 10_000 }).toContain('"id":1');
    child.stdin.end();
    await new Promise((r) => child.once('exit', r));
    expect(JSON.parse(stdout.trim().split('\n')[0]!)).toMatchObject({
      id: 1,
      result: { serverInfo: { name: 'mcp-stripe' } },
    });
    const ignored = stderr.split('\n').filter((l) => l.includes('not a JSON-RPC'));
    expect(ignored).toHaveLength(1);
    expect(ignored[0]!.length).toBeLessThan(300);
  });
});

describe('CLI messages', () => {
  it('--help and --version', () => {
    const help = run(['--help']);
    expect(help.status).toBe(0);
    for (const opt of [
      '--api-key',
      '--sandbox',
      '--transport',
      '--tools',
      '--stripe-account',
      '--config',
      'STRIPE_API_BASE',
    ])
      expect(help.stdout).toContain(opt);
    const version = run(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('no key and no --sandbox: exit 1 naming both', () => {
    const r = run([]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--api-key');
    expect(r.stderr).toContain('--sandbox');
    expect(r.stdout).toBe('');
  });

  it.each([
    [['--api-key=pk_test_51HxAbCdEfGhIjKlMnOpQr'], {}, /publishable key/, 'AbCdEfGh'],
    [
      [],
      { STRIPE_SECRET_KEY: 'sk_test_short!!SECRETPART' },
      /not a Stripe secret or restricted key/,
      'SECRETPART',
    ],
    [
      ['--api-key=sk_test_51HxAbCdEfGhIjKlMnOpQr', '--transport=http', '--host=0.0.0.0'],
      {},
      /not a loopback address/,
      'AbCdEfGh',
    ],
    [['--sandbox', '--tools=create_charge'], {}, /--tools pattern "create_charge" matches no tool/, ''],
    [['--bogus'], {}, /Unknown option '--bogus'/, ''],
    [['--sandbox', 'serve'], {}, /unknown command "serve"/, ''],
    [
      ['sk_test_51HxAbCdEfGhIjKlMnOpQr'],
      {},
      /unknown command "sk_test_\[redacted\]".*--api-key=/,
      'AbCdEfGh',
    ],
  ])('%j %j → exit 1 with a clear message, never the key', (args, env, why, secretPart) => {
    const r = run(args, env);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(why);
    if (secretPart) expect(r.stderr + r.stdout).not.toContain(secretPart);
  });

  it('over stdio with a key and no webhook source: a warning at start-up, and the event tools say how to get events', async () => {
    const { startSandbox } = await import('../src/sandbox/index.js');
    const sandbox = await startSandbox();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [
        CLI,
        '--tools=all',
        `--data-dir=${mkdtempSync(join(tmpdir(), 'mcp-stripe-nosource-'))}`,
        '--log-level=debug',
      ],
      env: { ...cleanEnv(), STRIPE_SECRET_KEY: TEST_KEY, STRIPE_API_BASE: sandbox.url },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const client = new Client({ name: 'nosource', version: '1.0.0' });
    await client.connect(transport);
    try {
      const events = await callTool(client, 'list_events', {});
      expect(events.data.data).toEqual([]);
      expect(events.text).toContain('--webhook-port');
      expect(events.text).toContain('mcp-stripe events sync');
      const waited = await callTool(client, 'wait_for_event', {
        type: 'payment_intent.succeeded',
        timeout_seconds: 1,
      });
      expect(waited.text).toContain('--sync-on-start');
      await callTool(client, 'create_customer', { email: 'debuglog@example.com' });
      expect(stderr).toContain('no webhook source over stdio');
      // --log-level=debug: one line per call, with the outcome and Stripe request ids, no PII.
      const line = stderr.split('\n').find((l) => l.includes('"tool call"') && l.includes('create_customer'));
      expect(line).toBeDefined();
      expect(JSON.parse(line!)).toMatchObject({
        tool: 'create_customer',
        outcome: 'ok',
        caller: expect.any(String),
      });
      expect(line).toMatch(/"request_ids":\["req_/);
      expect(stderr).not.toContain('debuglog@example.com');
    } finally {
      await client.close();
      await sandbox.close();
    }
  });

  it('audit export | head -1: the reader leaving ends the output quietly', async () => {
    const { createSqliteStore } = await import('../src/storage/sqlite/index.js');
    const dataDir = mkdtempSync(join(tmpdir(), 'mcp-stripe-epipe-'));
    const store = createSqliteStore(join(dataDir, 'mcp-stripe.db'));
    for (let i = 0; i < 3000; i++)
      await store.audit.append({
        at: new Date(Date.now() - 1000 + i).toISOString(),
        caller: 'stdio',
        tool: 'create_customer',
        args: { note: 'x'.repeat(200) },
        decision: 'allowed',
        outcome: 'ok',
        requestIds: [],
        durationMs: 1,
      });
    await store.close();
    const child = spawn(process.execPath, [CLI, 'audit', 'export', `--data-dir=${dataDir}`], {
      env: cleanEnv(),
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|Error|at /);
    expect(code).toBe(0);
  });

  it('below the Node.js it needs, the CLI stops at once with a clear message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-stripe-node-'));
    const preload = join(dir, 'old-node.cjs');
    writeFileSync(preload, "Object.defineProperty(process.versions, 'node', { value: '20.9.0' });");
    const r = spawnSync(process.execPath, ['--require', preload, CLI, '--sandbox'], {
      env: cleanEnv(),
      encoding: 'utf8',
      timeout: 15_000,
      input: '',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('needs Node.js 20.19 or newer; this is 20.9.0');
  });

  it('--config with unknown keys names them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-stripe-'));
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({ api: { key: 'sk_test_51HxAbCdEfGhIjKlMnOpQr', retries: 3 }, logging: {} }),
    );
    const r = run([`--config=${file}`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unknown key "logging"/);
    expect(r.stderr).toMatch(/unknown key "api\.retries"/);
  });

  it('the HTTP banner gives client snippets that work from this checkout (no unpublished npx package)', async () => {
    const child = spawn(process.execPath, [CLI, '--sandbox', '--transport=http', '--port=0'], {
      env: cleanEnv(),
    });
    try {
      const banner = await new Promise<string>((resolve, reject) => {
        let buf = '';
        child.stderr.on('data', (d: Buffer) => {
          buf += d.toString();
          if (buf.includes('Press Ctrl+C to stop.')) resolve(buf);
        });
        child.once('exit', () => reject(new Error(buf)));
      });
      expect(banner).toMatch(/claude mcp add --transport http stripe http:\/\/127\.0\.0\.1:\d+\/mcp/);
      expect(banner).toContain(JSON.stringify(CLI));
      expect(banner).not.toContain('npx');
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('mcp-stripe keys create | list | revoke: a key printed once works on a --auth=api-key server until revoked', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mcp-stripe-keys-'));
    const created = run([
      'keys',
      'create',
      '--name=deploy-bot',
      '--scopes=stripe:read',
      '--expires=90d',
      `--data-dir=${dataDir}`,
    ]);
    expect(created.status).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^mcps_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('shown once');
    const listed = run(['keys', 'list', `--data-dir=${dataDir}`]);
    expect(listed.stdout).toMatch(/key_[0-9a-f]{16} {2}deploy-bot {2}mcps_\S{4}… {2}active {2}stripe:read/);
    expect(listed.stdout + listed.stderr).not.toContain(key);
    expect(run(['keys', 'create', '--name=deploy-bot', `--data-dir=${dataDir}`]).stderr).toMatch(
      /already exists/,
    );
    expect(
      run(['keys', 'create', '--name=x', '--scopes=stripe:all', `--data-dir=${dataDir}`]).stderr,
    ).toMatch(/--scopes must name/);

    const child = spawn(
      process.execPath,
      [CLI, '--sandbox', '--transport=http', '--port=0', '--auth=api-key', `--data-dir=${dataDir}`],
      { env: cleanEnv() },
    );
    try {
      const url = await announcedUrl(child);
      const list = (token?: string) =>
        fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            'mcp-protocol-version': '2025-11-25',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
        });
      expect((await list()).status).toBe(401);
      expect((await list(key)).status).toBe(200);
      expect(run(['keys', 'revoke', 'deploy-bot', `--data-dir=${dataDir}`]).stderr).toMatch(
        /Revoked api key/,
      );
      expect((await list(key)).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('mcp-stripe users add writes a hashed user into the config file; the embedded server accepts it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-stripe-users-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ server: { port: 0 } }));
    const add = spawnSync(
      process.execPath,
      [CLI, 'users', 'add', '--username=ana', '--email=ana@example.com', `--config=${config}`],
      {
        env: cleanEnv(),
        encoding: 'utf8',
        input: 'correct horse battery staple\n',
      },
    );
    expect(add.status).toBe(0);
    expect(add.stderr).toContain('Added user "ana"');
    const written = readFileSync(config, 'utf8');
    expect(written).not.toContain('horse');
    expect(JSON.parse(written)).toMatchObject({
      server: { port: 0 },
      users: [
        { username: 'ana', email: 'ana@example.com', passwordHash: expect.stringMatching(/^scrypt\$/) },
      ],
    });
    const short = spawnSync(process.execPath, [CLI, 'users', 'add', '--username=bo', `--config=${config}`], {
      env: cleanEnv(),
      encoding: 'utf8',
      input: 'short\n',
    });
    expect(short.status).toBe(1);
    expect(short.stderr).toContain('at least 12 characters');
    // --admin: an operator, who may sign in to the console (stripe:admin).
    const admin = spawnSync(
      process.execPath,
      [CLI, 'users', 'add', '--username=ops', '--admin', `--config=${config}`],
      { env: cleanEnv(), encoding: 'utf8', input: 'another long passphrase\n' },
    );
    expect(admin.status).toBe(0);
    const users = (JSON.parse(readFileSync(config, 'utf8')) as { users: Record<string, unknown>[] }).users;
    expect(users.find((u) => u.username === 'ops')).toMatchObject({ admin: true });
    expect(users.find((u) => u.username === 'ana')).not.toHaveProperty('admin');

    // A real server (no sandbox user: the config's users only) signs ana in.
    const child = spawn(
      process.execPath,
      [
        CLI,
        '--transport=http',
        '--auth=embedded',
        `--config=${config}`,
        `--data-dir=${dir}`,
        `--api-key=${TEST_KEY}`,
      ],
      { env: cleanEnv() },
    );
    try {
      const url = await announcedUrl(child);
      const origin = new URL(url).origin;
      const reg = await fetch(`${origin}/oauth/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          redirect_uris: ['http://127.0.0.1:1/cb'],
          token_endpoint_auth_method: 'none',
        }),
      });
      const { client_id } = (await reg.json()) as { client_id: string };
      const authorize = new URL(`${origin}/oauth/auth`);
      for (const [k, v] of Object.entries({
        client_id,
        response_type: 'code',
        redirect_uri: 'http://127.0.0.1:1/cb',
        scope: 'stripe:read',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        resource: url,
      }))
        authorize.searchParams.set(k, v);
      const first = await fetch(authorize, { redirect: 'manual' });
      const interaction = new URL(first.headers.get('location')!, origin).href;
      const cookie = first.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      const post = (password: string) =>
        fetch(interaction, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ username: 'ana', password, action: 'login' }).toString(),
        });
      expect((await post('wrong password here')).status).toBe(401);
      expect((await post('correct horse battery staple')).status).toBe(303);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('mcp-stripe sandbox serves a Stripe-compatible API', async () => {
    const child = spawn(process.execPath, [CLI, 'sandbox', '--port=0'], { env: cleanEnv() });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let buf = '';
        child.stderr.on('data', (d: Buffer) => {
          buf += d.toString();
          const m = /listening on (http:\/\/\S+)/.exec(buf);
          if (m) resolve(m[1]!);
        });
        child.once('exit', () => reject(new Error(buf)));
      });
      const res = await fetch(`${url}/v1/customers`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk_test_anything123' },
        body: new URLSearchParams({ email: 'a@b.co' }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ object: 'customer', email: 'a@b.co' });
    } finally {
      child.kill('SIGTERM');
    }
  });
});
