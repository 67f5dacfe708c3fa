import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Approval, ApprovalService } from '../server/approvals.js';
import type { OwnOrigin } from './origin.js';

/** A decision is one short form field: anything larger is refused unread. */
const MAX_FORM_BYTES = 16 * 1024;

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
};

const STATUS_TEXT: Record<string, string> = {
  pending: 'Waiting for your decision.',
  approved: 'Approved. The agent can now repeat the call; it will run once.',
  denied: 'Denied. If the agent repeats the call, it will be refused.',
  expired: 'This approval request expired. The agent must ask again.',
  used: 'This approval was already used.',
};

function page(a: Approval | undefined): string {
  const body = !a
    ? '<h1>Unknown approval</h1><p>This link is not valid on this server (it may have been restarted).</p>'
    : `<h1>Approve a Stripe operation?</h1>
<p>An AI agent asked to run this call through mcp-stripe. It needs your confirmation because ${escape(a.reason)}.</p>
<pre>${escape(a.summary)}</pre>
<p class="status"><strong>${escape(STATUS_TEXT[a.status] ?? a.status)}</strong></p>
${
  a.status === 'pending'
    ? `<form method="post"><button name="decision" value="approve">Approve</button> <button name="decision" value="deny">Deny</button></form>
<p>Expires ${escape(new Date(a.expiresAt).toISOString())}.</p>`
    : ''
}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>mcp-stripe approval</title>
<style>body{font:16px system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}pre{background:#f4f4f5;padding:1rem;white-space:pre-wrap}button{font-size:1rem;padding:.5rem 1.5rem;margin-right:.5rem}</style>
</head><body>${body}</body></html>`;
}

/** `GET /approvals/:id` shows the call; `POST` records the decision. Loopback Host and Origin only. */
export function mountApprovalPages(app: Hono, approvals: ApprovalService, own: OwnOrigin): void {
  const guard = (c: Context) => {
    const refused = own.refusal(c.req.header('host'), c.req.header('origin'));
    return refused ? c.text(refused, 403) : undefined;
  };
  app.get('/approvals/:id', (c) => {
    const rejected = guard(c);
    if (rejected) return rejected;
    const a = approvals.get(c.req.param('id'));
    return c.html(page(a), a ? 200 : 404, SECURITY_HEADERS);
  });
  app.post(
    '/approvals/:id',
    bodyLimit({
      maxSize: MAX_FORM_BYTES,
      onError: (c) => c.text(`form larger than ${MAX_FORM_BYTES} bytes`, 413, { connection: 'close' }),
    }),
    async (c) => {
      const rejected = guard(c);
      if (rejected) return rejected;
      const form = await c.req.parseBody();
      const decision = form.decision;
      if (decision !== 'approve' && decision !== 'deny')
        return c.html(page(approvals.get(c.req.param('id'))), 400, SECURITY_HEADERS);
      const a = approvals.decide(c.req.param('id'), decision);
      return c.html(page(a), a ? 200 : 404, SECURITY_HEADERS);
    },
  );
}
