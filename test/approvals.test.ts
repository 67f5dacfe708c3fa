import { request } from 'node:http';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceConsole } from '../src/cli/console.js';
import { NAV } from '../src/console/pages.js';
import type { Runtime } from '../src/runtime.js';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import type { RunningHttp } from '../src/transports/http.js';
import { firstPending, pendingIds, signIn, type OperatorBrowser } from './console-helpers.js';
import { callTool, startHttpStack, type Called, type HttpStack } from './helpers.js';

/**
 * Approvals as an operator and an agent meet them over HTTP: a money-moving call waits for an operator
 * signed in to the console; the agent never gets a link or token that would let it decide itself.
 */
let sandbox: RunningSandbox;
let stack: HttpStack;
let runtime: Runtime;
let http: RunningHttp;
let client: Client;
let operator: OperatorBrowser;
let origin: string;
let clock = Date.now();

beforeAll(async () => {
  sandbox = await startSandbox();
  stack = await startHttpStack({
    flags: { tools: 'all', apiKey: 'sk_test_approvalsflow01', confirm: 'money' },
    // No waiting: each call answers at once that it is waiting (a test below waits on purpose).
    env: { STRIPE_API_BASE: sandbox.url, MCP_STRIPE_APPROVAL_TTL: '600', MCP_STRIPE_APPROVAL_WAIT: '0' },
    now: () => clock,
  });
  ({ runtime, http, origin } = stack);
  operator = await signIn(await announceConsole(runtime.store, `${origin}/console`));
  // A client that declares elicitation: over HTTP it is not trusted to confirm (console channel).
  client = new Client({ name: 'agent', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
  client.setRequestHandler('elicitation/create', () => ({ action: 'accept', content: { approve: true } }));
  await client.connect(new StreamableHTTPClientTransport(new URL(http.url)));
});
afterAll(async () => {
  await client.close();
  await stack.close();
  await sandbox.close();
});

const intents = () => sandbox.state.platform.all('payment_intent').length;
const decide = (id: string, decision: string, note = '') =>
  operator.post(`/console/approvals/${id}/decision`, { decision, note });
const meta = (r: Called) => r.result._meta?.['mcp-stripe'] as Record<string, unknown> | undefined;
let n = 0;
function freshPayment(amount: number) {
  return {
    amount,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    confirm: true,
    description: `order ${amount} #${++n}`,
  };
}
/** The call waits; the one new approval on the console is its own. */
async function waiting(args: Record<string, unknown>): Promise<{ result: Called; id: string }> {
  const before = await pendingIds(operator);
  const result = await callTool(client, 'create_payment_intent', args);
  const added = (await pendingIds(operator)).filter((id) => !before.includes(id));
  expect(added).toHaveLength(1);
  return { result, id: added[0]! };
}

describe('approvals in the console', () => {
  it('the call waits for an operator: the result says by whom and until when, and carries nothing that decides it', async () => {
    const before = intents();
    const { result, id } = await waiting(freshPayment(1999));
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(
      /^Waiting for approval: create_payment_intent \(19\.99 USD\) needs a person's decision/,
    );
    expect(result.text).toContain('an operator signed in to the mcp-stripe console');
    expect(result.text).toMatch(/stays valid for 10 min, until \d{4}-\d\d-\d\dT/);
    expect(meta(result)).toMatchObject({ error: 'approval_required', approval: { status: 'pending' } });
    // The client declared elicitation and would have said yes: over HTTP it is not asked.
    expect(JSON.stringify(result.result)).not.toContain(id);
    expect(intents()).toBe(before);
    const page = await (await operator.get('/console/approvals')).text();
    expect(page).toContain('Amount: 19.99 USD');
    expect(page).toContain(`data-approval="${id}"`);
    // Its own page (where URL-mode elicitation sends a user): the summary and the decision form.
    const own = await operator.get(`/console/approvals/${id}`);
    expect(own.status).toBe(200);
    const ownHtml = await own.text();
    expect(ownHtml).toContain('Amount: 19.99 USD');
    expect(ownHtml).toContain(`action="/console/approvals/${id}/decision"`);
    expect((await fetch(`${origin}/console/approvals/${id}`)).status).toBe(401);
    expect((await operator.get('/console/approvals/apr_nosuchapproval')).status).toBe(404);
  });

  it('approve → the repeated call runs once; the same call again needs a new approval', async () => {
    const args = freshPayment(2999);
    const { id } = await waiting(args);
    // Repeating before a decision waits on the same approval, not a new one.
    await callTool(client, 'create_payment_intent', args);
    expect((await pendingIds(operator)).filter((x) => x === id)).toHaveLength(1);

    expect((await decide(id, 'approve', 'customer asked')).status).toBe(303);
    const before = intents();
    const done = await callTool(client, 'create_payment_intent', args);
    expect(done.isError, done.text).toBe(false);
    expect(done.data.status).toBe('succeeded');
    expect(intents()).toBe(before + 1);

    const again = await callTool(client, 'create_payment_intent', { ...args, idempotency_key: 'second' });
    expect(again.isError).toBe(true);
    expect(meta(again)?.error).toBe('approval_required');
    const decided = await (await operator.get('/console/approvals')).text();
    expect(decided).toContain('customer asked');
    expect(decided).toMatch(/status-used/);
  });

  it('a call that is waiting completes when the operator approves, without being repeated', async () => {
    // A server whose calls wait for the operator (up to a minute).
    const waiting = await startHttpStack({
      flags: { apiKey: 'sk_test_approvalsflow01', confirm: 'money' },
      env: { STRIPE_API_BASE: sandbox.url, MCP_STRIPE_APPROVAL_WAIT: '60' },
    });
    const agent = new Client({ name: 'patient-agent', version: '1.0.0' });
    try {
      await agent.connect(new StreamableHTTPClientTransport(new URL(waiting.http.url)));
      const op = await signIn(await announceConsole(waiting.runtime.store, `${waiting.origin}/console`));
      const call = callTool(agent, 'create_payment_intent', freshPayment(3333));
      const id = await firstPending(op);
      await op.post(`/console/approvals/${id}/decision`, { decision: 'approve' });
      const done = await call;
      expect(done.isError, done.text).toBe(false);
      expect(done.data.status).toBe('succeeded');
    } finally {
      await agent.close();
      await waiting.close();
    }
  });

  it('deny → the repeated call is refused, nothing is sent, and the reason is kept', async () => {
    const args = freshPayment(4999);
    const { id } = await waiting(args);
    await decide(id, 'deny', 'not this customer');
    const before = intents();
    const refused = await callTool(client, 'create_payment_intent', args);
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(
      /^Not done: the person asked to confirm this call declined it \(via operator in the console\)/,
    );
    expect(intents()).toBe(before);
  });

  it('an approval is bound to the exact arguments, and expires', async () => {
    const args = freshPayment(5999);
    const { id } = await waiting(args);
    await decide(id, 'approve');
    const other = await callTool(client, 'create_payment_intent', { ...args, amount: 6001 });
    expect(meta(other)?.error).toBe('approval_required');
    expect((await callTool(client, 'create_payment_intent', args)).isError).toBe(false);

    const late = freshPayment(7999);
    const { id: lateId } = await waiting(late);
    clock += 601_000;
    expect((await decide(lateId, 'approve')).status).toBe(409);
    const retry = await callTool(client, 'create_payment_intent', late);
    expect(meta(retry)?.error).toBe('approval_required');
  });

  it('nobody but a signed-in operator decides: no session, a wrong CSRF token, another origin or Host are refused', async () => {
    const { id } = await waiting(freshPayment(8999));
    const url = `${origin}/console/approvals/${id}/decision`;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    // The agent with a shell: no session.
    expect((await fetch(url, { method: 'POST', headers: form, body: 'decision=approve' })).status).toBe(401);
    expect((await fetch(`${origin}/console/approvals`)).status).toBe(401);
    expect((await fetch(`${origin}/console/api/stream`)).status).toBe(401);
    expect((await fetch(`${origin}/console/signin?token=guess`)).status).toBe(401);
    // Nothing is reachable signed out: every page, export and data endpoint.
    for (const path of [
      ...NAV.map(([href]) => href),
      '/console/audit.csv',
      '/console/audit.jsonl',
      '/console/api/overview',
      `/console/approvals?fragment=pending`,
    ]) {
      const res = await fetch(`${origin}${path}`);
      expect(res.status, path).toBe(401);
      expect(await res.text(), path).not.toMatch(/create_payment_intent|data-approval/);
    }
    // A page elsewhere posting with the operator's cookie.
    expect(
      (await operator.post(`/console/approvals/${id}/decision`, { decision: 'approve' }, { csrf: 'x' }))
        .status,
    ).toBe(403);
    expect(
      (
        await operator.post(
          `/console/approvals/${id}/decision`,
          { decision: 'approve' },
          { origin: 'https://evil.example' },
        )
      ).status,
    ).toBe(403);
    const hostStatus = await new Promise<number>((resolve) => {
      request(
        {
          host: '127.0.0.1',
          port: http.port,
          path: '/console/approvals',
          headers: { host: 'evil.example.com', cookie: operator.cookie },
        },
        (res) => resolve(res.statusCode ?? 0),
      ).end();
    });
    expect(hostStatus).toBe(403);
    expect((await decide(id, 'maybe')).status).toBe(400);
    const big = await operator.post(`/console/approvals/${id}/decision`, {
      decision: 'approve',
      pad: 'x'.repeat(64 * 1024),
    });
    expect(big.status).toBe(413);
    expect(await pendingIds(operator)).toContain(id);
    // A sign-in link works once.
    const link = await announceConsole(runtime.store, `${origin}/console`);
    await signIn(link);
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(401);
  });

  it('pages carry a strict Content-Security-Policy and no-store; cookies are HttpOnly and SameSite=Strict', async () => {
    const res = await operator.get('/console');
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    const link = await announceConsole(runtime.store, `${origin}/console`);
    const cookie = (await fetch(link, { redirect: 'manual' })).headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\/console/);
  });

  it('reads and non-money writes need no approval', async () => {
    expect((await callTool(client, 'list_customers')).isError).toBe(false);
    expect((await callTool(client, 'create_customer', { email: 'noapproval@example.com' })).isError).toBe(
      false,
    );
  });

  it('the audit log records who approved', async () => {
    const records = await runtime.store.audit.query({});
    const confirmed = records.filter((r) => r.decision === 'confirmed');
    expect(confirmed.length).toBeGreaterThanOrEqual(2);
    expect(confirmed[0]!.confirmedBy).toBe('operator in the console');
    expect(records.some((r) => r.decision === 'approval_pending' && r.outcome === 'pending')).toBe(true);
    expect(records.some((r) => r.decision === 'declined')).toBe(true);
  });
});
