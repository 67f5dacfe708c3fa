// The built CLI on Postgres (`--database-url`): `migrate` applies the schema once and refuses a database
// newer than itself; an api key made with `keys create` on one process is honoured by a server in
// another; what that server audits, `audit tail` in a third process reads.
import { execFile, spawn } from 'node:child_process';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../src/storage/postgres/schema.js';
import { announcedUrl, callTool, cleanEnv, CLI } from './helpers.js';
import { DATABASE_URL, dropSchemas, freshSchema, NO_POSTGRES } from './postgres.js';

let url: string;
let schema: string;

/** DATABASE_URL with every connection in `schema`. */
const inSchema = (s: string) => {
  const u = new URL(DATABASE_URL!);
  u.searchParams.set('options', `-c search_path=${s}`);
  return u.toString();
};

beforeAll(async () => {
  if (!DATABASE_URL) return;
  schema = freshSchema();
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  url = inSchema(schema);
});
afterAll(dropSchemas);

const cli = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [CLI, ...args], { env: cleanEnv() }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    ),
  );

describe.skipIf(!DATABASE_URL)('the CLI on Postgres', () => {
  it('migrate applies the schema once, then is up to date; a newer database is refused', async () => {
    const first = await cli(['migrate', `--database-url=${url}`]);
    const n = MIGRATIONS.length;
    expect(first.stdout).toContain(
      `applied ${n} migration${n === 1 ? '' : 's'}: Postgres 127.0.0.1:5432/test is at schema version ${n}`,
    );
    expect((await cli(['migrate', `--database-url=${url}`])).stdout).toMatch(/^up to date/);

    const other = freshSchema();
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`CREATE SCHEMA ${other}`);
    await client.query(
      `CREATE TABLE ${other}.mcp_stripe_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ)`,
    );
    for (let v = 1; v <= n + 1; v++)
      await client.query(`INSERT INTO ${other}.mcp_stripe_migrations VALUES ($1, now())`, [v]);
    await client.end();
    const newer = await cli(['migrate', `--database-url=${inSchema(other)}`]);
    expect(newer.code).not.toBe(0);
    expect(newer.stderr).toContain(
      `The database's schema is at version ${n + 1}, newer than this mcp-stripe knows (${n})`,
    );
    // The password of a URL is a secret: it never shows in an error.
    const bad = await cli(['migrate', '--database-url=postgres://me:hunter2@127.0.0.1:1/nope']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('could not migrate Postgres at 127.0.0.1:1');
    expect(bad.stderr).not.toContain('hunter2');
  });

  it('a key made by one process is honoured by a server in another, whose audit a third reads', async () => {
    const made = await cli([
      'keys',
      'create',
      '--name=pg-bot',
      '--scopes=stripe:read',
      `--database-url=${url}`,
    ]);
    expect(made.code).toBe(0);
    const key = made.stdout.trim();
    const server = spawn(
      process.execPath,
      [
        CLI,
        '--sandbox',
        '--transport=http',
        '--port=0',
        '--auth=api-key',
        '--tools=all',
        `--database-url=${url}`,
      ],
      { env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    try {
      const mcp = await announcedUrl(server);
      const client = new Client({ name: 'pg', version: '1' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(mcp), {
          requestInit: { headers: { authorization: `Bearer ${key}` } },
        }),
      );
      expect((await callTool(client, 'retrieve_balance')).isError).toBe(false);
      await client.close();
      const exported = await cli(['audit', 'export', `--database-url=${url}`]);
      const records = exported.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(records).toContainEqual(
        expect.objectContaining({ tool: 'retrieve_balance', caller: 'key:pg-bot', outcome: 'ok' }),
      );
      // Revoked through the CLI: refused on the server's next request.
      expect((await cli(['keys', 'revoke', 'pg-bot', `--database-url=${url}`])).code).toBe(0);
      const refused = await fetch(mcp, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
      });
      expect(refused.status).toBe(401);
    } finally {
      server.kill('SIGINT');
      await new Promise((r) => server.once('exit', r));
    }
  });
});

if (!DATABASE_URL) it.skip(NO_POSTGRES, () => {});
