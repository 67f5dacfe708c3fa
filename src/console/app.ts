// The operator console at /console: sign-in by a one-time link, then the pages. Nothing is reachable
// signed out; every state-changing request carries the session's CSRF token and this server's origin.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { issueApiKey } from '../auth/api-keys.js';
import type { OperatorSignIn } from '../auth/operator.js';
import type { Logger } from '../log.js';
import { limitFor, type AmountLimit } from '../policy/amounts.js';
import { ledgerScope } from '../policy/daily-limit.js';
import type { ApprovalService } from '../server/approvals.js';
import type {
  ApiKeyStore,
  AuditQuery,
  AuditRecord,
  OAuthStateStore,
  OperatorSession,
  Store,
} from '../storage/ports.js';
import type { OwnOrigin } from '../transports/origin.js';
import { parseDuration } from '../util/duration.js';
import { findUp } from '../util/find-up.js';
import { mountOAuthSignIn, OAUTH_START_PATH } from './oauth-sign-in.js';
import {
  accessPage,
  approvalsPage,
  AUDIT_PAGE_LIMIT,
  auditPage,
  continueToConsole,
  eventsPage,
  layout,
  notConfigured,
  overviewPage,
  pendingList,
  settingsPage,
  signedOut as signedOutPage,
  type AuditFilter,
} from './pages.js';
import { SESSION_COOKIE, SESSION_TTL_MS } from './sign-in.js';

const DAY = 24 * 3600_000;

export interface ConsoleDeps {
  store: Store;
  approvals: ApprovalService;
  mode: 'sandbox' | 'test' | 'live';
  /** The Connect account the server acts for, if any. */
  stripeAccount?: string;
  dailyLimit?: AmountLimit;
  /** The effective configuration with secrets masked. */
  settings: Record<string, unknown>;
  /** Reachability of Stripe, for the overview (cached by the caller). */
  stripeHealth: () => Promise<{ ok: boolean; detail: string }>;
  webhookSecrets: () => number;
  /** Api keys this server accepts, and the embedded authorization server's clients (the Access page). */
  apiKeys: ApiKeyStore;
  oauth: OAuthStateStore;
  authModes: readonly string[];
  logger: Logger;
  now?: () => number;
}

type Env = { Variables: { session: OperatorSession; sessionId: string } };

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** The console's static files: built into dist/console-assets by `npm run build`. */
function assetDir(): string {
  return findUp(import.meta.url, ['console-assets', 'dist/console-assets']);
}
const ASSET_TYPES: Record<string, string> = {
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'uPlot.min.css': 'text/css; charset=utf-8',
};

/**
 * The console under `/console`. `operators`: signing in with OAuth (`stripe:admin`) besides the
 * terminal's one-time link.
 */
export function mountConsole(app: Hono, deps: ConsoleDeps, own: OwnOrigin, operators?: OperatorSignIn): void {
  const now = () => (deps.now ?? Date.now)();
  const oauthOption = operators ? { start: OAUTH_START_PATH, issuer: operators.issuer } : undefined;
  const signedOut = (reason: string) => signedOutPage(reason, oauthOption);
  const secure = (c: Context) => new URL(c.req.url).protocol === 'https:';
  const assets = new Map<string, Buffer>();

  // This server's own Host only (DNS rebinding), then the security headers on whatever is answered.
  const ownHost: MiddlewareHandler = async (c, next) => {
    const refused = own.refusal(c.req.header('host'), undefined, {
      forwardedHost: c.req.header('x-forwarded-host'),
    });
    if (refused) return c.text(refused, 403);
    return next();
  };
  for (const path of ['/console', '/console/*']) app.use(path, headers, ownHost);
  // A console form is a few short fields: a large body is refused before anything reads it.
  app.post(
    '/console/*',
    bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.text('Request too large.', 413) }),
  );

  app.get('/console/assets/:file', (c) => {
    const file = c.req.param('file');
    const type = ASSET_TYPES[file];
    if (!type) return c.text('not found', 404);
    let body = assets.get(file);
    if (!body) assets.set(file, (body = readFileSync(join(assetDir(), file))));
    return c.body(new Uint8Array(body), 200, { 'content-type': type, 'cache-control': 'no-cache' });
  });

  // The one-time link from the terminal: a session, then the overview. A used or expired link signs nobody in.
  app.get('/console/signin', async (c) => {
    const token = c.req.query('token') ?? '';
    const id = token ? await deps.store.operators.redeem(token, SESSION_TTL_MS, now()) : undefined;
    if (!id)
      return c.html(
        signedOut('This sign-in link is not valid: it was used already, it expired, or it is mistyped.'),
        401,
      );
    setCookie(c, SESSION_COOKIE, id, {
      path: '/console',
      httpOnly: true,
      sameSite: 'Strict',
      secure: secure(c),
      maxAge: SESSION_TTL_MS / 1000,
    });
    return c.redirect('/console', 303);
  });
  if (operators)
    mountOAuthSignIn(app, {
      signIn: operators,
      operators: deps.store.operators,
      logger: deps.logger,
      now,
      refuse: (c, reason, status) => c.html(signedOut(reason), status),
      signedIn: (c) => c.html(continueToConsole()),
    });

  // Everything below needs a session; a POST also its CSRF token and this server's own origin.
  const signedIn: MiddlewareHandler<Env> = async (c, next) => {
    const id = getCookie(c, SESSION_COOKIE);
    const session = id ? await deps.store.operators.session(id, now()) : undefined;
    if (!id || !session) {
      if (c.req.path.startsWith('/console/api/')) return c.json({ error: 'signed out' }, 401);
      return c.html(signedOut('You are signed out.'), 401);
    }
    if (c.req.method === 'POST') {
      const refused = own.refusal(c.req.header('host'), c.req.header('origin') ?? 'null', {
        forwardedHost: c.req.header('x-forwarded-host'),
      });
      // `all`: repeated fields (the scopes of a new api key) stay lists; Hono keeps this parse for the route.
      const form = await c.req.parseBody({ all: true });
      if (refused || form._csrf !== session.csrf)
        return c.html(
          signedOut('This request did not come from a console page (cross-site request refused).'),
          403,
        );
    }
    c.set('session', session);
    c.set('sessionId', id);
    return next();
  };
  const console = app as unknown as Hono<Env>;
  console.use('/console', signedIn);
  console.use('/console/*', signedIn);

  const page = (
    c: Context<Env>,
    title: string,
    body: Parameters<typeof layout>[0]['body'],
    status: 200 | 400 | 403 | 404 | 409 = 200,
  ) =>
    c.html(
      layout({
        title,
        path: c.req.path,
        body,
        operator: c.var.session.operator,
        csrf: c.var.session.csrf,
        mode: deps.mode,
      }),
      status,
    );

  console.post('/console/signout', async (c) => {
    await deps.store.operators.endSession(c.var.sessionId);
    deleteCookie(c, SESSION_COOKIE, { path: '/console' });
    return c.html(signedOut('You signed out.'));
  });

  console.get('/console', async (c) => {
    const t = now();
    const totals = await deps.store.ledger.totals(ledgerScope(deps.mode, deps.stripeAccount), t, DAY);
    const limits = Object.keys(deps.dailyLimit?.byCurrency ?? {});
    const currencies = [...new Set([...Object.keys(totals), ...limits])].sort();
    const events = await deps.store.events.list({ limit: 1 });
    const stripe = await deps.stripeHealth();
    const storeOk = await deps.store.audit.query({ limit: 1 }).then(
      () => true,
      () => false,
    );
    const secrets = deps.webhookSecrets();
    const last = events.events[0];
    return page(
      c,
      'Overview',
      overviewPage({
        mode: deps.mode,
        account: deps.stripeAccount ?? 'the platform account',
        pending: (await deps.approvals.list('pending')).length,
        health: [
          { name: 'Stripe', ...stripe },
          { name: 'Store', ok: storeOk, detail: storeOk ? 'reads and writes' : 'cannot be read' },
          {
            name: 'Webhooks',
            ok: secrets > 0 || deps.mode === 'sandbox',
            detail: `${secrets} signing secret${secrets === 1 ? '' : 's'}; ${last ? `last event ${new Date(last.receivedAt).toISOString()}` : 'no events yet'}`,
          },
        ],
        money: currencies.map((currency) => ({
          currency,
          moved: totals[currency] ?? 0,
          limit: limitFor(deps.dailyLimit, currency),
        })),
      }),
    );
  });

  // Data for the overview's charts: calls per hour and refusals by code, over 24 hours.
  console.get('/console/api/overview', async (c) => {
    const t = now();
    const records = await deps.store.audit.query({ since: new Date(t - DAY) });
    const hours = Array.from(
      { length: 24 },
      (_, i) => Math.floor((t - (23 - i) * 3600_000) / 3600_000) * 3600,
    );
    const calls = hours.map(() => 0);
    const refusals: Record<string, number> = {};
    for (const r of records) {
      const h = Math.floor(Date.parse(r.at) / 3600_000) * 3600;
      const i = hours.indexOf(h);
      if (i >= 0) calls[i]!++;
      if (r.outcome === 'refused') refusals[r.error ?? 'refused'] = (refusals[r.error ?? 'refused'] ?? 0) + 1;
    }
    return c.json({ hours, calls, refusals, pending: (await deps.approvals.list('pending')).length });
  });

  console.get('/console/approvals', async (c) => {
    const [pending, decided] = await Promise.all([
      deps.approvals.list('pending'),
      deps.approvals.list('decided', 50),
    ]);
    if (c.req.query('fragment') === 'pending') return c.html(pendingList(pending, c.var.session.csrf, now()));
    return page(c, 'Approvals', approvalsPage(pending, decided, c.var.session.csrf, now()));
  });

  // One approval: the page URL-mode elicitation shows the client's user (who signs in, then decides here).
  console.get('/console/approvals/:id', async (c) => {
    const a = await deps.approvals.get(c.req.param('id'));
    if (!a)
      return page(c, 'No such approval', notConfigured('No such approval.', 'See the Approvals page.'), 404);
    const body =
      a.status === 'pending'
        ? pendingList([a], c.var.session.csrf, now())
        : approvalsPage([], [a], c.var.session.csrf, now());
    return page(c, `Approval: ${a.tool}`, body);
  });

  console.post('/console/approvals/:id/decision', async (c) => {
    const form = await c.req.parseBody();
    const decision =
      form.decision === 'approve' ? 'approved' : form.decision === 'deny' ? 'denied' : undefined;
    if (!decision)
      return page(
        c,
        'Not decided',
        notConfigured('A decision is approve or deny.', 'Go back to the Approvals page.'),
        400,
      );
    const note =
      typeof form.note === 'string' && form.note.trim() ? form.note.trim().slice(0, 500) : undefined;
    const r = await deps.approvals.decide(c.req.param('id'), decision, c.var.session.operator, note);
    if (!r.ok)
      return page(
        c,
        'Not decided',
        notConfigured(r.error, 'Go back to the Approvals page.'),
        r.status as 404,
      );
    deps.logger.info('approval decided', { tool: r.approval.tool, decision, by: c.var.session.operator });
    return c.redirect('/console/approvals', 303);
  });

  // Live updates: a change to any approval, as server-sent events (the page refetches its list).
  console.get('/console/api/stream', (c) =>
    streamSSE(c, async (stream) => {
      // The page left: stop (the request's signal says so even when no write fails).
      const gone = () => stream.aborted || stream.closed || c.req.raw.signal.aborted;
      const onChange = () => {
        if (!gone()) void stream.writeSSE({ event: 'approvals', data: 'changed' }).catch(() => {});
      };
      deps.approvals.changes.on('change', onChange);
      const stop = () => {
        deps.approvals.changes.off('change', onChange);
      };
      stream.onAbort(stop);
      c.req.raw.signal.addEventListener('abort', stop, { once: true });
      try {
        await stream.writeSSE({ event: 'ready', data: 'ok' });
        // Approvals decided in another process reach the store only: look now and then.
        let seen = JSON.stringify((await deps.approvals.list('pending')).map((a) => a.id));
        while (!gone()) {
          await stream.sleep(2000);
          if (gone()) break;
          const ids = JSON.stringify((await deps.approvals.list('pending')).map((a) => a.id));
          if (ids !== seen) onChange();
          seen = ids;
          await stream.writeSSE({ event: 'ping', data: '' });
        }
      } finally {
        stop();
      }
    }),
  );

  const auditQuery = (c: Context): { q: AuditQuery; f: AuditFilter; error?: string } => {
    const f: AuditFilter = {
      tool: c.req.query('tool') || undefined,
      outcome: c.req.query('outcome') || undefined,
      caller: c.req.query('caller') || undefined,
      tenant: c.req.query('tenant') || undefined,
      since: c.req.query('since') || undefined,
      until: c.req.query('until') || undefined,
    };
    const at = (s: string | undefined) => {
      if (!s) return undefined;
      const ms = parseDuration(s);
      const d = ms !== undefined ? new Date(now() - ms) : new Date(s);
      return Number.isNaN(d.getTime()) ? null : d;
    };
    const since = at(f.since);
    const until = at(f.until);
    const outcomes = ['ok', 'error', 'refused', 'pending'];
    const error =
      since === null || until === null
        ? 'Since and until take a duration (24h, 7d) or a date.'
        : f.outcome && !outcomes.includes(f.outcome)
          ? 'Outcome is ok, error, refused or pending.'
          : undefined;
    return {
      f,
      error,
      q: {
        tool: f.tool,
        outcome: f.outcome as AuditRecord['outcome'] | undefined,
        caller: f.caller,
        tenant: f.tenant,
        since: since ?? undefined,
        until: until ?? undefined,
      },
    };
  };
  const queryString = (c: Context) => {
    const u = new URL(c.req.url);
    return u.search;
  };

  console.get('/console/audit', async (c) => {
    const { q, f, error } = auditQuery(c);
    if (error) return page(c, 'Audit', notConfigured(error, 'Change the filter and try again.'));
    const records = await deps.store.audit.query({ ...q, limit: AUDIT_PAGE_LIMIT });
    return page(c, 'Audit', auditPage(records, f, deps.mode, queryString(c)));
  });
  console.get('/console/audit.jsonl', async (c) => {
    const { q, error } = auditQuery(c);
    if (error) return c.text(error, 400);
    const records = await deps.store.audit.query(q);
    return c.body(records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''), 200, {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'content-disposition': 'attachment; filename="mcp-stripe-audit.jsonl"',
    });
  });
  console.get('/console/audit.csv', async (c) => {
    const { q, error } = auditQuery(c);
    if (error) return c.text(error, 400);
    const cols = [
      'at',
      'caller',
      'tenant',
      'tool',
      'decision',
      'outcome',
      'error',
      'confirmedBy',
      'durationMs',
      'requestIds',
    ] as const;
    const cell = (v: unknown) => {
      const s = Array.isArray(v)
        ? v.join(' ')
        : typeof v === 'string' || typeof v === 'number'
          ? String(v)
          : '';
      // Quoted, and a leading formula character neutralized (CSV injection).
      return `"${(/^[=+\-@]/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"`;
    };
    const rows = (await deps.store.audit.query(q)).map((r) => cols.map((k) => cell(r[k])).join(','));
    return c.body([cols.join(','), ...rows].join('\r\n') + '\r\n', 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': 'attachment; filename="mcp-stripe-audit.csv"',
    });
  });

  console.get('/console/events', async (c) => {
    const type = c.req.query('type') || undefined;
    const object = c.req.query('object') || undefined;
    const { events } = await deps.store.events.list({ type, objectId: object, limit: 200 });
    return page(c, 'Events', eventsPage(object ? [...events].reverse() : events, { type, object }));
  });

  console.get('/console/billing', (c) =>
    page(
      c,
      'Billing',
      notConfigured(
        'No plans are configured: this server does not charge for tools.',
        'Plans, subscribers, MRR, quotas and metering appear here once billing is configured.',
      ),
    ),
  );
  const access = async (
    c: Context<Env>,
    created?: { name: string; key: string },
    status: 200 | 400 = 200,
  ) => {
    const clients = await deps.oauth.list('Client', now(), 200);
    return page(
      c,
      'Access',
      accessPage({
        modes: deps.authModes,
        keys: await deps.apiKeys.list(),
        clients: clients.map(({ id, payload }) => ({
          id,
          name: typeof payload.client_name === 'string' ? payload.client_name : id,
          redirects: Array.isArray(payload.redirect_uris) ? payload.redirect_uris.map(String) : [],
          createdAt:
            typeof payload.client_id_issued_at === 'number' ? payload.client_id_issued_at * 1000 : undefined,
        })),
        ...(created ? { created } : {}),
        csrf: c.var.session.csrf,
        now: now(),
      }),
      status,
    );
  };
  console.get('/console/access', (c) => access(c));
  console.post('/console/access/keys', async (c) => {
    const form = await c.req.parseBody({ all: true });
    const one = (k: string) => (typeof form[k] === 'string' ? form[k].trim() : '');
    const scopes = [form.scopes ?? []].flat().filter((s): s is string => typeof s === 'string');
    const expires = one('expires');
    const expiresInMs = expires ? parseDuration(expires) : undefined;
    if (expires && expiresInMs === undefined)
      return page(
        c,
        'Not created',
        notConfigured(
          `"Expires after" must be a duration like 90d, 24h or 30m (got "${expires.slice(0, 16)}").`,
          'Go back to the Access page.',
        ),
        400,
      );
    const issued = await issueApiKey(
      deps.apiKeys,
      {
        name: one('name'),
        scopes,
        ...(one('tenant') ? { tenant: one('tenant') } : {}),
        ...(expiresInMs ? { expiresInMs } : {}),
      },
      now(),
    );
    if ('error' in issued)
      return page(
        c,
        'Not created',
        notConfigured(issued.error.replace(/^--(\w+)/, '$1'), 'Go back to the Access page.'),
        400,
      );
    deps.logger.info('api key created in the console', {
      name: issued.record.name,
      by: c.var.session.operator,
    });
    return access(c, { name: issued.record.name, key: issued.key });
  });
  console.post('/console/access/keys/:id/revoke', async (c) => {
    const revoked = await deps.apiKeys.revoke(c.req.param('id'), now());
    if (revoked)
      deps.logger.info('api key revoked in the console', { name: revoked.name, by: c.var.session.operator });
    return c.redirect('/console/access', 303);
  });
  console.post('/console/access/clients/:id/revoke', async (c) => {
    await deps.oauth.destroy('Client', c.req.param('id'));
    deps.logger.info('OAuth client removed in the console', { by: c.var.session.operator });
    return c.redirect('/console/access', 303);
  });
  console.get('/console/settings', (c) => page(c, 'Settings', settingsPage(deps.settings)));
}

/** Security headers on every console response. */
const headers: MiddlewareHandler = async (c, next) => {
  await next();
  c.header('content-security-policy', CSP);
  c.header('x-content-type-options', 'nosniff');
  // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on its own form posts.
  c.header('referrer-policy', 'same-origin');
  c.header('x-frame-options', 'DENY');
  if (!c.req.path.startsWith('/console/assets/')) c.header('cache-control', 'no-store');
};
